"""Differential tests: each pipeline in ``parity/`` compiles to the same structure with kfp and with Sluice.

The pipelines are written with ``from sluice import dsl``; the kfp side rewrites the import, exactly as
``scripts/regen-kfp-fixtures`` does for the examples. Only what the comparison of
``tests/examples/spec_compare.py`` allows may differ (sdkVersion, Python executors' command and args),
plus the paths a pipeline lists in ``KFP_DIFFERENCES`` where kfp's output is wrong.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml

from sluice import compiler, ir
from tests.examples.spec_compare import structural_differences
from tests.examples.support import regen_script

from .wiring import assert_wired

PARITY_DIR = Path(__file__).parent / "parity"
PARITY_FILES = sorted(path for path in PARITY_DIR.glob("*.py") if not path.name.startswith("_"))


def _compile_with_sluice(path: Path) -> tuple[str, Any]:
    regen = regen_script()
    source = path.read_text()
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # dsl.Condition, on purpose
        module = regen.load_module(path, source, f"_sluice_parity_{path.stem}")
        pipeline = getattr(module, regen.root_pipeline_name(source, str(path)))
        target = Path(tmp) / "pipeline.yaml"
        compiler.Compiler().compile(
            pipeline, target, pipeline_parameters=getattr(module, "PIPELINE_PARAMETERS", None)
        )
        return target.read_text(), module


@pytest.mark.kfp
@pytest.mark.parametrize("path", PARITY_FILES, ids=lambda path: path.stem)
def test_compiles_like_kfp(path: Path) -> None:
    kfp_text = regen_script().compile_with_kfp(path)
    sluice_text, module = _compile_with_sluice(path)
    expected = list(yaml.safe_load_all(kfp_text))
    actual = list(yaml.safe_load_all(sluice_text))
    allowed: dict[str, str] = getattr(module, "KFP_DIFFERENCES", {})
    differences = [
        line
        for line in structural_differences(expected, actual)
        if not any(line.startswith(p) for p in allowed)
    ]
    assert not differences, "\n".join(differences)
    # The known differences are still differences: a fixed kfp would show up here.
    for known in allowed:
        assert any(line.startswith(known) for line in structural_differences(expected, actual)), known
    document = ir.parse_pipeline(sluice_text)
    ir.validate_with_protobuf(document)
    ir.check_references(document.spec)
    assert_wired(document.spec)
