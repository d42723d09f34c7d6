"""Pipelines given as Python: Sluice's and kfp's pipeline objects, and .py files on the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sluice
from sluice import dsl

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@dsl.component
def double(x: int) -> int:
    return 2 * x


@dsl.pipeline
def doubling(x: int = 2) -> int:
    return double(x=double(x=x).output).output


def test_sluice_run_takes_a_sluice_pipeline(home: Path) -> None:
    result = sluice.run(doubling, {"x": 5}, home=home, handle_sigint=False)
    assert result.succeeded, result.error
    assert result.outputs == {"Output": 20}


def test_sluice_run_takes_a_kfp_pipeline(home: Path) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from tests.engine import kfp_pipelines

        result = sluice.run(kfp_pipelines.loop_sum, home=home, handle_sigint=False)
    assert result.succeeded, result.error
    assert result.task("total").outputs == {"Output": 65}


def test_cli_runs_a_python_file(home: Path) -> None:
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "sluice"), "run", str(EXAMPLES / "nested_pipeline.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "SUCCEEDED" in completed.stderr
