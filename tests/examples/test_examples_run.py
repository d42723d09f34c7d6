"""Every example runs with Sluice's engine, compiled by Sluice and by the official kfp SDK, to the same end."""

from __future__ import annotations

from pathlib import Path

import pytest

from sluice.engine import RunResult, run_pipeline

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(path.stem for path in (ROOT / "examples").glob("*.py"))
KFP_COMPILED = ROOT / "tests" / "fixtures" / "kfp_compiled"

# What a user must pass for an example to run (the importer example has no default data URI).
ARGUMENTS: dict[str, dict[str, object]] = {
    "importer": {"data_uri": (ROOT / "examples" / "data" / "weather.csv").as_uri()},
}
# task_settings asks for a GPU; the engine refuses to start it on a machine with none, so configure one.
GPUS = {"task_settings": 1}


def _run(pipeline: Path, name: str, home: Path) -> RunResult:
    arguments = dict(ARGUMENTS.get(name, {}))
    return run_pipeline(pipeline, arguments, home=home, gpus=GPUS.get(name, 0), handle_sigint=False)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SLUICE_GPUS", "0")
    monkeypatch.delenv("SLUICE_DATABASE_URL", raising=False)
    return tmp_path / "home"


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_runs_to_success_from_python_source(name: str, home: Path) -> None:
    result = _run(ROOT / "examples" / f"{name}.py", name, home)
    assert result.state == "SUCCEEDED", result.error
    assert all(task.state in {"SUCCEEDED", "SKIPPED", "CACHED"} for task in result.tasks), [
        (task.path, task.state, task.error) for task in result.tasks
    ]


@pytest.mark.parametrize("name", EXAMPLES)
def test_kfp_compiled_example_runs_to_the_same_outputs(name: str, home: Path) -> None:
    # Separate homes: a container task compiled by either SDK is the same task, so it would be a cache hit.
    ours = _run(ROOT / "examples" / f"{name}.py", name, home / "sluice")
    theirs = _run(KFP_COMPILED / f"{name}.yaml", name, home / "kfp")
    assert theirs.state == "SUCCEEDED", theirs.error
    # Same tasks ended in the same states; parameter outputs agree (artifact URIs differ per run).
    assert {task.path: task.state for task in theirs.tasks} == {task.path: task.state for task in ours.tasks}
    assert {key: value for key, value in theirs.outputs.items() if not _is_artifact_uri(value, home)} == {
        key: value for key, value in ours.outputs.items() if not _is_artifact_uri(value, home)
    }


def _is_artifact_uri(value: object, home: Path) -> bool:
    return isinstance(value, str) and value.startswith(str(home))
