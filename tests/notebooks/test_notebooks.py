"""Notebooks as pipeline steps: ``@dsl.notebook_component`` and ``dsl.run_notebook`` (papermill's parameter
injection, run by nbclient on an IPython kernel), on the host and in the ``restricted`` sandbox;
``sluice run notebook.ipynb -p key=value``; kfp-compiled notebook components; clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

from sluice import dsl
from sluice.dsl import PipelineDefinitionError
from sluice.engine import run_pipeline
from sluice.engine._result import RunResult
from tests.notebooks.notebooks import report_notebook, write_notebook

SLUICE = str(Path(sys.executable).with_name("sluice"))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    monkeypatch.setenv("SLUICE_HOME", str(folder))
    monkeypatch.delenv("SLUICE_DATABASE_URL", raising=False)
    monkeypatch.setenv("SLUICE_GPUS", "0")
    return folder


def _pipeline(notebook: Path) -> Any:
    @dsl.notebook_component(notebook_path=str(notebook), packages_to_install=[])
    def report(text: str, count: int, executed: dsl.Output[dsl.Artifact]) -> str:
        import shutil

        shutil.copy(dsl.run_notebook(text=text, count=count), executed.path)
        return "done"

    @dsl.pipeline
    def notebook_step(text: str = "hi", count: int = 2) -> str:
        return report(text=text, count=count).outputs["Output"]

    return notebook_step


def _text(value: str | list[str]) -> str:
    """A notebook's multi-line string (nbformat stores it as a list of lines)."""
    return "".join(value) if isinstance(value, list) else value


def _task(result: RunResult, name: str) -> Any:
    return next(task for task in result.tasks if task.name == name)


@pytest.mark.parametrize("profile", ["host", "restricted"])
def test_notebook_component_injects_parameters_and_outputs_the_executed_notebook(
    home: Path, tmp_path: Path, profile: str
) -> None:
    pipeline = _pipeline(report_notebook(tmp_path / "nb" / "report.ipynb"))
    result = run_pipeline(
        pipeline, {"text": "hello", "count": 4}, home=home, profile=profile, cache=False, handle_sigint=False
    )
    assert result.state == "SUCCEEDED", (result.error, [t.log_tail for t in result.tasks])
    task = _task(result, "report")
    executed = json.loads(Path(task.outputs["executed"]).read_text())
    sources = ["".join(cell["source"]) for cell in executed["cells"]]
    # papermill's semantics: the injected cell right after the one tagged 'parameters'
    assert executed["cells"][2]["metadata"]["tags"] == ["injected-parameters"]
    assert sources[2] == "# Parameters\ntext = 'hello'\ncount = 4\n"
    assert _text(executed["cells"][3]["outputs"][0]["text"]) == "text is hello count is 4\n"
    assert _text(executed["cells"][3]["outputs"][1]["data"]["text/plain"]) == "2.0"
    log = Path(task.log_path).read_text()
    assert "text is hello count is 4" in log


def test_a_failing_cell_fails_the_task_with_its_error_and_traceback(home: Path, tmp_path: Path) -> None:
    pipeline = _pipeline(report_notebook(tmp_path / "report.ipynb"))
    result = run_pipeline(
        pipeline, {"text": "boom"}, home=home, profile="restricted", cache=False, handle_sigint=False
    )
    task = _task(result, "report")
    assert task.state == "FAILED"
    assert "notebook report.ipynb failed in code cell 4: ZeroDivisionError: division by zero" in (
        task.error or ""
    )
    log = Path(task.log_path).read_text()
    assert "ZeroDivisionError" in log and "1 / 0" in log


def test_without_a_parameters_cell_the_injected_cell_comes_first(home: Path, tmp_path: Path) -> None:
    notebook = write_notebook(tmp_path / "plain.ipynb", [("print(text * count)\n", [])])
    result = run_pipeline(
        _pipeline(notebook), {"text": "ab", "count": 3}, home=home, cache=False, handle_sigint=False
    )
    assert result.state == "SUCCEEDED", result.error
    executed = json.loads(Path(_task(result, "report").outputs["executed"]).read_text())
    assert executed["cells"][0]["metadata"]["tags"] == ["injected-parameters"]
    assert _text(executed["cells"][1]["outputs"][0]["text"]) == "ababab\n"


def _sluice(home: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SLUICE_HOME": str(home), "SLUICE_GPUS": "0"}
    return subprocess.run(
        [SLUICE, *arguments], capture_output=True, text=True, env=env, timeout=180, check=False
    )


def test_sluice_run_a_notebook_with_typed_parameters(home: Path, tmp_path: Path) -> None:
    notebook = report_notebook(tmp_path / "Weekly Report.ipynb")
    ran = _sluice(home, "run", str(notebook), "-p", "text=from cli", "-p", "count=5", "--json")
    assert ran.returncode == 0, ran.stderr
    summary = json.loads(ran.stdout)
    [task] = [task for task in summary["tasks"] if task["kind"] == "container"]
    assert task["name"] == "weekly-report"
    executed = json.loads(Path(task["outputs"]["executed_notebook"]).read_text())
    assert _text(executed["cells"][3]["outputs"][0]["text"]) == "text is from cli count is 5\n"
    wrong = _sluice(home, "run", str(notebook), "-p", "count=many")
    assert wrong.returncode != 0 and "count" in wrong.stderr
    unknown = _sluice(home, "run", str(notebook), "-p", "nope=1")
    assert unknown.returncode != 0 and "nope" in unknown.stderr


def test_kfp_compiled_notebook_component_runs(home: Path, tmp_path: Path) -> None:
    from kfp import compiler

    from tests.notebooks.kfp_notebook_pipeline import make_pipeline

    notebook = report_notebook(tmp_path / "kfp" / "report.ipynb")
    target = tmp_path / "kfp_notebook.yaml"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiler.Compiler().compile(make_pipeline(str(notebook)), str(target))
    result = run_pipeline(target, {"text": "kfp side"}, home=home, cache=False, handle_sigint=False)
    assert result.state == "SUCCEEDED", (result.error, [t.log_tail for t in result.tasks])
    task = _task(result, "kfp-notebook")
    assert task.outputs["result"] == "ran kfp side"
    assert "text is kfp side count is 1" in Path(task.log_path).read_text()


def test_bad_notebook_paths_are_refused_at_definition(tmp_path: Path) -> None:
    def body(text: str) -> None:
        dsl.run_notebook(text=text)

    with pytest.raises(PipelineDefinitionError, match="does not exist"):
        dsl.notebook_component(body, notebook_path=str(tmp_path / "missing.ipynb"))
    two = tmp_path / "two"
    write_notebook(two / "a.ipynb", [])
    write_notebook(two / "b.ipynb", [])
    with pytest.raises(PipelineDefinitionError, match=r"exactly one \.ipynb file, it holds 2"):
        dsl.notebook_component(body, notebook_path=str(two))
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    with pytest.raises(PipelineDefinitionError, match="cannot be read as a notebook"):
        dsl.notebook_component(body, notebook_path=str(broken))
    with pytest.raises(NotImplementedError, match=r"only inside the function of a @dsl\.notebook_component"):
        dsl.run_notebook(text="x")
