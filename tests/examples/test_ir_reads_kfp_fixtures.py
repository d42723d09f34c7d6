"""``sluice.ir`` reads every pipeline kfp compiled, and writes it back with nothing lost.

A user's existing kfp YAML must load in Sluice unchanged: the fixtures cover every example plus the
kfp-only pipelines (conditions inside loops, loops over artifact lists, a platform spec document).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.examples import support

FIXTURES = sorted(support.fixtures_dir().glob("*.yaml"))


@pytest.mark.parametrize("fixture", FIXTURES, ids=[path.stem for path in FIXTURES])
def test_ir_reads_and_writes_kfp_yaml_with_nothing_lost(fixture: Path) -> None:
    from sluice import ir

    original = support.load_documents(fixture)
    document = ir.read_pipeline(fixture)
    assert document.to_dicts() == original
    assert support.ir_round_trip(fixture) == original
    ir.check_references(document.spec)
