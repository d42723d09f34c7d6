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


TWO_ROOTS = """
from sluice import dsl

@dsl.component
def one() -> int:
    return 1

@dsl.pipeline
def inner() -> int:
    return one().output

@dsl.pipeline
def outer() -> int:
    return inner().output

@dsl.pipeline
def unrelated() -> int:
    return one().output
"""


def test_a_file_runs_the_pipeline_no_other_calls_and_names_the_choice_when_ambiguous(
    home: Path, tmp_path: Path
) -> None:
    # The same rule as `sluice compile`: sub-pipelines are never candidates.
    source = tmp_path / "pipelines.py"
    source.write_text(TWO_ROOTS.replace("@dsl.pipeline\ndef unrelated", "def unrelated"))
    result = sluice.run(source, home=home, handle_sigint=False)
    assert result.succeeded, result.error
    assert result.pipeline_name == "outer"

    source.write_text(TWO_ROOTS)
    ambiguous = sluice.run(source, home=home, handle_sigint=False)
    assert ambiguous.state == "FAILED"
    assert ambiguous.error is not None
    assert "several pipelines (outer, unrelated)" in ambiguous.error
    assert "--pipeline" in ambiguous.error
    chosen = sluice.run(source, pipeline_name="unrelated", home=home, handle_sigint=False)
    assert chosen.succeeded, chosen.error
