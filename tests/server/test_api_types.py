"""The UI's TypeScript types of the API (ui/src/api/generated.ts) are what the served OpenAPI document says
today: a response model changed without regenerating them fails here, before the UI reads a field the
server no longer sends."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "ui" / "src" / "api" / "generated.ts"


def test_the_ui_types_are_generated_from_the_current_openapi_document(tmp_path: Path) -> None:
    fresh = tmp_path / "generated.ts"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_api_types.py"), "--out", str(fresh)],
        check=True,
        timeout=120,
    )
    assert fresh.read_text() == COMMITTED.read_text(), (
        "ui/src/api/generated.ts is not what the server's OpenAPI document gives: regenerate it with "
        "`.venv/bin/python scripts/gen_api_types.py` and commit it"
    )
