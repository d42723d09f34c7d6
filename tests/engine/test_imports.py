"""What the engine's commands import: ``sluice --help`` none of the engine, reading runs back not the machinery
that runs them. Each check runs in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
{statements}
print(json.dumps(sorted(sys.modules)))
"""

# Loaded only to run a pipeline: launchers, the CEL library, the loop and its parts.
RUN_MACHINERY = (
    "sluice.launchers",
    "sluice.engine._api",
    "sluice.engine._engine",
    "sluice.engine._scheduler",
    "sluice.engine._cel",
    "celpy",
)


def _imported(statements: str) -> set[str]:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE.format(statements=statements)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    return set(json.loads(completed.stdout.splitlines()[-1]))


def _loaded(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(name for name in modules if name.startswith(packages))


def test_help_imports_neither_the_engine_nor_the_store_nor_the_http_client() -> None:
    modules = _imported(
        "from sluice.cli import main\n"
        "try:\n    main(['--help'], prog_name='sluice')\nexcept SystemExit:\n    pass\n"
        "for name in ('run', 'runs'):\n"
        "    try:\n        main([name, '--help'], prog_name='sluice')\n    except SystemExit:\n        pass\n"
    )
    heavy = ("sluice.engine", "sluice.store", "sluice.ir", "sqlalchemy", "yaml", "httpx", *RUN_MACHINERY)
    assert _loaded(modules, heavy) == []


def test_reading_runs_back_does_not_load_what_runs_them() -> None:
    modules = _imported(
        "from sluice.engine import RunResult, RunSummary, Workspace, list_runs, load_run_result"
    )
    assert "sluice.engine._result" in modules
    assert _loaded(modules, RUN_MACHINERY) == []


def test_every_public_name_resolves() -> None:
    import sluice.engine

    for name in sluice.engine.__all__:
        assert getattr(sluice.engine, name).__name__ == name
    assert set(sluice.engine.__all__) <= set(dir(sluice.engine))
