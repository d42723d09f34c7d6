"""``sluice.local``: components and pipelines called outside a pipeline run at once with Sluice's engine,
after ``sluice.local.init(...)`` in kfp.local's shape; each call is a run recorded in the store."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from sluice import components, dsl, local
from sluice.engine import RunSummary, list_runs
from sluice.engine._workspace import Workspace
from sluice.local import _config


@dsl.component
def add(a: int, b: int) -> int:
    print(f"adding {a} and {b}")
    return a + b


@dsl.component
def make_dataset(text: str, data: dsl.Output[dsl.Dataset]) -> int:
    with open(data.path, "w") as handle:
        handle.write(text)
    data.metadata["length"] = len(text)
    return len(text)


@dsl.component
def shout(data: dsl.Input[dsl.Dataset], suffix: str = "!") -> str:
    with open(data.path) as handle:
        return handle.read().upper() + suffix


@dsl.component
def fail(message: str) -> int:
    raise ValueError(message)


@dsl.pipeline
def chain(a: int = 1) -> int:
    return add(a=a, b=add(a=a, b=a).output).output


@dsl.component
def workspace_file(workspace: str) -> str:
    import os

    with open(os.path.join(workspace, "note.txt"), "w") as handle:
        handle.write("kept")
    return workspace


def _runs(home: Path) -> list[RunSummary]:
    with Workspace.resolve(home).store() as store:
        return list_runs(store)


@pytest.fixture(autouse=True)
def not_initialised() -> Iterator[None]:
    """Each test starts as a fresh process would: no sluice.local.init yet."""
    _config._current.clear()
    yield
    _config._current.clear()


@pytest.fixture
def initialised(home: Path, tmp_path: Path) -> Path:
    """sluice.local.init with a pipeline root of the test's own; returns that root."""
    root = tmp_path / "outputs"
    local.init(runner=local.SubprocessRunner(), pipeline_root=str(root))
    return root


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    monkeypatch.setenv("SLUICE_HOME", str(folder))
    monkeypatch.delenv("SLUICE_DATABASE_URL", raising=False)
    monkeypatch.setenv("SLUICE_GPUS", "0")
    return folder


def test_calling_a_component_before_init_says_what_to_do() -> None:
    with pytest.raises(RuntimeError) as error:
        add(a=1, b=2)  # called-too-early
    message = str(error.value)
    # kfp's words, with where the call is.
    assert "Local environment not initialized. Please run 'sluice.local.init()'" in message
    assert re.match(rf"{re.escape(__file__)}:\d+: ", message), message


def test_a_component_runs_and_its_run_is_recorded(initialised: Path, home: Path) -> None:
    task = add(a=1, b=2)
    assert task.output == 3
    assert task.outputs == {"Output": 3}
    assert isinstance(task, dsl.PipelineTask)
    runs = _runs(home)
    assert [(run.run_id, run.pipeline_name, run.state) for run in runs] == [
        (_run_id(task), "add", "SUCCEEDED")
    ]


def test_artifacts_come_back_as_objects_and_can_be_passed_on(initialised: Path, home: Path) -> None:
    made = make_dataset(text="hello")
    data = made.outputs["data"]
    assert isinstance(data, dsl.Dataset)
    assert data.metadata == {"length": 5}
    assert Path(data.path).read_text() == "hello"
    assert Path(data.path).is_relative_to(initialised)  # under init's pipeline_root
    assert made.outputs["Output"] == 5

    shouted = shout(data=data)
    assert shouted.output == "HELLO!"
    # The artifact reached the task through an importer that reused the stored artifact: lineage holds.
    from sqlalchemy import select

    from sluice.store.models import Task

    with Workspace.resolve(home).store() as store, store.read_session() as session:
        paths = sorted(session.scalars(select(Task.path).where(Task.run_id == _run_id(shouted))))
        imported = session.execute(
            select(Task.outputs).where(Task.run_id == _run_id(shouted), Task.path == "root/importer")
        ).scalar_one()
        produced = session.execute(
            select(Task.outputs).where(Task.run_id == _run_id(made), Task.path == "root/make-dataset")
        ).scalar_one()
    assert paths == ["root", "root/importer", "root/shout"]
    assert imported is not None and produced is not None
    assert imported["artifacts"]["artifact"][0]["id"] == produced["artifacts"]["data"][0]["id"]


def test_a_pipeline_called_directly_runs_whole(initialised: Path) -> None:
    task = chain(a=3)
    assert task.output == 9


def test_a_failure_raises_naming_the_task_or_returns_no_outputs(home: Path, tmp_path: Path) -> None:
    local.init(runner=local.SubprocessRunner(), pipeline_root=str(tmp_path / "out"))
    with pytest.raises(RuntimeError, match=r"Task 'fail' finished with status FAILED: .*boom") as error:
        fail(message="boom")
    assert "sluice runs get" in str(error.value)
    local.init(runner=local.SubprocessRunner(), pipeline_root=str(tmp_path / "out"), raise_on_error=False)
    quiet = fail(message="boom")
    assert quiet.outputs == {}


def test_a_finished_task_takes_no_settings(initialised: Path) -> None:
    task = add(a=1, b=1)
    with pytest.raises(RuntimeError, match=r"already ran outside a pipeline.*\.set_cpu_limit\(\)"):
        task.set_cpu_limit("1")
    with pytest.raises(RuntimeError, match=r"\.after\(\)"):
        task.after(task)


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: add(a=1), "missing required argument: b"),
        (lambda: add(a=1, b="two"), "expects a parameter (Integer)"),
        (lambda: shout(data="gs://bucket/x"), "expects an artifact"),
        (lambda: shout(data=dsl.Model(uri="/tmp/model")), "expects system.Dataset but got a system.Model"),
    ],
    ids=["missing", "wrong-type", "constant-for-artifact", "wrong-artifact-type"],
)
def test_bad_arguments_are_refused_before_anything_runs(
    initialised: Path, home: Path, call, fragment
) -> None:
    with pytest.raises(dsl.PipelineDefinitionError, match=re.escape(fragment)):
        call()
    assert not (home / "sluice.db").exists() or not _runs(home)


def test_workspace_root_is_the_runs_shared_folder(home: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    local.init(
        runner=local.SubprocessRunner(), pipeline_root=str(tmp_path / "out"), workspace_root=str(shared)
    )
    task = workspace_file(workspace=dsl.WORKSPACE_PATH_PLACEHOLDER)
    assert task.output == str(shared)
    assert (shared / "note.txt").read_text() == "kept"


def test_init_takes_kfp_locals_arguments(home: Path, tmp_path: Path) -> None:
    import inspect

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import kfp.local

    ours = list(inspect.signature(local.init).parameters)
    theirs = list(inspect.signature(kfp.local.init).parameters)
    assert ours[: len(theirs)] == theirs  # then Sluice's own keyword-only home and database_url
    assert list(inspect.signature(local.SubprocessRunner).parameters) == list(
        inspect.signature(kfp.local.SubprocessRunner).parameters
    )
    with pytest.raises(ValueError, match=r"Runner should be sluice\.local\.SubprocessRunner"):
        local.init(runner="subprocess")  # type: ignore[arg-type]
    with pytest.raises(NotImplementedError, match=r"use sluice\.local\.SubprocessRunner"):
        local.DockerRunner()
    with pytest.warns(UserWarning, match="cache_root"):
        local.init(runner=local.SubprocessRunner(), cache_root=str(tmp_path / "cache"))


def test_a_kfp_compiled_component_runs_locally(initialised: Path, tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from kfp import compiler

        from tests.engine import kfp_pipelines

        target = tmp_path / "add.yaml"
        compiler.Compiler().compile(kfp_pipelines.add, str(target))
    kfp_add = components.load_component_from_file(target)
    assert kfp_add(a=6, b=7).output == 13


def test_sluice_dsl_stays_free_of_the_engine_until_a_local_call(tmp_path: Path) -> None:
    """Importing sluice.dsl (and defining components) loads neither sluice.local nor the engine."""
    code = (
        "import sys\nfrom sluice import dsl\n"
        "@dsl.component\ndef f() -> int:\n    return 1\n"
        "print(sorted(m for m in ('sluice.local', 'sluice.engine', 'sqlalchemy') if m in sys.modules))"
    )
    script = tmp_path / "define.py"
    script.write_text(code)
    completed = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "[]"


def _run_id(task: dsl.PipelineTask) -> str:
    """The run a component called outside a pipeline made (a ``sluice.local`` task has one)."""
    run_id = getattr(task, "run_id", None)
    assert isinstance(run_id, str), task
    return run_id
