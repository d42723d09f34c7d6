"""Every kfp-compiled fixture pipeline runs unchanged, with the outputs its components compute."""

from __future__ import annotations

from pathlib import Path

import pytest

from sluice.engine import run_pipeline
from tests.engine.conftest import FIXTURES


def _run(name: str, home: Path, **arguments: object):
    return run_pipeline(FIXTURES / f"{name}.yaml", dict(arguments), home=home, handle_sigint=False)


def test_hello_world_outputs_are_typed(home: Path) -> None:
    result = _run("hello_world", home)
    assert result.succeeded, result.error
    assert result.task("shout").outputs == {"Output": "HELLO, WORLD!"}


def test_training_chains_artifacts_and_keeps_ints(home: Path) -> None:
    result = _run("training", home)
    assert result.succeeded, result.error
    split = result.task("split-dataset")
    assert split.outputs["train_rows"] == 300 and isinstance(split.outputs["train_rows"], int)
    assert Path(result.outputs["Output"]).exists()  # the pipeline's output: the model artifact


def test_if_elif_else_runs_exactly_one_branch(home: Path) -> None:
    result = _run("control_flow", home)
    assert result.succeeded, result.error
    branches = {task.name: task.state for task in result.tasks if task.kind == "condition"}
    assert branches == {
        "heavy-drift": "SKIPPED",
        "moderate-drift": "SUCCEEDED",
        "no-drift": "SKIPPED",
        "audit-mode": "SKIPPED",
    }
    audit = _run("control_flow", home, mode="audit")
    assert audit.task("audit-mode").state == "SUCCEEDED"


def test_one_of_picks_the_branch_that_ran(home: Path) -> None:
    result = _run("one_of", home)
    assert result.succeeded, result.error
    assert result.task("condition-branches-1").outputs["pipelinechannel--condition-branches-1-oneof-2"] == (
        "warehouse/published"
    )


def test_fan_out_fan_in_collects_parameters_and_artifacts(home: Path) -> None:
    result = _run("fan_out_fan_in", home)
    assert result.succeeded, result.error
    sales = result.task("for-loop-2").outputs["pipelinechannel--simulate-sales-Output"]
    assert result.task("add-up").outputs["Output"] == sum(sales)
    assert len(result.task("for-loop-3").outputs["pipelinechannel--audit-store-Output"]) == 5


def test_nested_loops_collect_nested_lists(home: Path) -> None:
    result = _run("nested_loops", home)
    assert result.succeeded, result.error
    scores = result.task("for-loop-1").outputs["pipelinechannel--score-fold-Output"]
    assert [len(per_rate) for per_rate in scores] == [4, 4, 4]
    assert result.task("pick-learning-rate").outputs["Output"] == 0.4


@pytest.mark.parametrize(
    "name",
    [
        "compile_time_parameters",
        "condition_in_parallelfor",
        "container_components",
        "exit_handler",
        "nested_pipeline",
        "parallelfor_over_artifacts",
    ],
)
def test_fixture_runs(name: str, home: Path) -> None:
    result = _run(name, home)
    assert result.succeeded, result.error


def test_importer_imports_a_local_file(home: Path, tmp_path: Path) -> None:
    data = tmp_path / "weather.csv"
    data.write_text("date,city,temperature_c,rain_mm\n1,Lisbon,12.7,2.4\n1,Oslo,3.9,7.4\n")
    result = _run("importer", home, data_uri=str(data))
    assert result.succeeded, result.error
    assert result.task("importer").outputs == {"artifact": str(data)}


def test_gpu_task_gets_its_device(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_GPUS", "2")
    result = _run("task_settings", home)
    assert result.succeeded, result.error
    without = run_pipeline(FIXTURES / "task_settings.yaml", home=home, gpus=0, handle_sigint=False)
    assert without.state == "FAILED"
    assert "needs 1 GPU" in (without.task("check-gpu").error or "")
