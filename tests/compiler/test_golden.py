"""Each example compiles to exactly its golden file (tests/compiler/golden/), sdkVersion aside.

A failure means the compiler's output changed: review the diff and, if it is intended, run
``scripts/regen-golden`` and commit the regenerated files with the change.
"""

from __future__ import annotations

import difflib
import functools
import importlib.machinery
import importlib.util
import types
from pathlib import Path

import pytest

from sluice import ir

from .wiring import assert_wired

REPO = Path(__file__).resolve().parents[2]


@functools.cache
def regen_golden() -> types.ModuleType:
    loader = importlib.machinery.SourceFileLoader("regen_golden", str(REPO / "scripts" / "regen-golden"))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


EXAMPLES = regen_golden().example_files()


def test_every_example_has_a_golden_file() -> None:
    golden = {path.stem for path in regen_golden().GOLDEN_DIR.glob("*.yaml")}
    assert golden == {path.stem for path in EXAMPLES}, "run scripts/regen-golden"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_example_compiles_to_its_golden_file(example: Path) -> None:
    script = regen_golden()
    golden = script.golden_path(example)
    compiled = script.compile_example(example)
    expected = script.without_sdk_version(golden.read_text())
    actual = script.without_sdk_version(compiled)
    if expected != actual:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True), actual.splitlines(keepends=True), str(golden), "compiled"
            )
        )
        pytest.fail(f"{example.name} no longer compiles to {golden.name} (run scripts/regen-golden):\n{diff}")


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_golden_file_is_a_valid_pipeline(example: Path) -> None:
    document = ir.read_pipeline(regen_golden().golden_path(example))
    ir.validate_with_protobuf(document)
    ir.check_references(document.spec)
    assert_wired(document.spec)
    text = regen_golden().golden_path(example).read_text()
    assert str(REPO) not in text, "golden files must not hold absolute paths"
