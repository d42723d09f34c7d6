"""kfp 2.x SDK features, run by the engine, with the pipelines compiled by the official kfp SDK and by
Sluice's (the same source, ``tests/engine/sdk_features.py``): components carrying files and helper
functions, the run workspace, and exit handlers' ``PipelineTaskFinalStatus`` as KFP's backend fills it."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import sluice.compiler
import sluice.dsl
from sluice.engine import RunResult, run_pipeline
from sluice.engine._context import run_resource_name
from tests.engine import sdk_features

SDKS = ["kfp", "sluice"]


@pytest.fixture
def assets(tmp_path: Path) -> Path:
    folder = tmp_path / "assets"
    (folder / "pkg").mkdir(parents=True)
    (folder / "pkg" / "__init__.py").write_text("VALUE = 41\n")
    (folder / "notes.txt").write_text("some notes\n")
    return folder


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "incoming" / "data.csv"
    path.parent.mkdir()
    path.write_text("a,b\n1,2\n")
    return path


@pytest.fixture(params=SDKS)
def compile_pipeline(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str, Path, Path], Path]:
    """Builds a pipeline of sdk_features.py with kfp or Sluice and compiles it with the same SDK."""

    def compile_one(name: str, assets: Path, data_file: Path) -> Path:
        target = tmp_path / f"{name}-{request.param}.yaml"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if request.param == "kfp":
                from kfp import compiler, dsl

                compiler.Compiler().compile(sdk_features.build(dsl, assets, data_file)[name], str(target))
            else:
                pipeline = sdk_features.build(sluice.dsl, assets, data_file)[name]
                sluice.compiler.Compiler().compile(pipeline, str(target))
        return target

    return compile_one


def _run(pipeline: Path, home: Path, **arguments: Any) -> RunResult:
    return run_pipeline(pipeline, arguments, home=home, handle_sigint=False)


def test_embedded_folder_file_and_helper_functions(
    compile_pipeline: Callable[[str, Path, Path], Path],
    assets: Path,
    data_file: Path,
    home: Path,
    tmp_path: Path,
) -> None:
    compiled = compile_pipeline("embedded", assets, data_file)
    # Embedded at compile time: the run does not need the files any more.
    for path in sorted(assets.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    result = _run(compiled, home, n=5)
    assert result.succeeded, result.error
    assert result.outputs == {"Output": "['notes.txt', 'pkg']|41|15"}
    copy = Path(result.task("from-file").outputs["copy"])
    assert copy.read_text() == "SOME NOTES\n"


def test_the_workspace_is_shared_and_receives_downloads(
    compile_pipeline: Callable[[str, Path, Path], Path], assets: Path, data_file: Path, home: Path
) -> None:
    result = _run(compile_pipeline("workspace_sharing", assets, data_file), home)
    assert result.succeeded, result.error
    workspace = home / "artifacts" / result.run_id / "workspace"
    assert result.outputs == {"Output": f"{workspace}|from a+from b"}
    assert (workspace / "a.txt").read_text() == "from a"
    assert (workspace / "sub" / "b.txt").read_text() == "from b"
    # The importer copied the file into the workspace (KFP's .artifacts/<path> layout), and the task read
    # that copy: its path is in the workspace, its URI still the original.
    copied = workspace / ".artifacts" / str(data_file).lstrip("/")
    assert copied.read_text() == "a,b\n1,2\n"
    data_file.write_text("changed after the import\n")
    path, uri, text = result.task("read-imported").outputs["Output"].split("|")
    assert (path, uri, text) == (str(copied), str(data_file), "a,b\n1,2\n")


def test_the_workspace_placeholder_resolves_in_both_compiled_forms(
    compile_pipeline: Callable[[str, Path, Path], Path], assets: Path, data_file: Path
) -> None:
    spec, platform = yaml.safe_load_all(compile_pipeline("workspace_sharing", assets, data_file).read_text())
    assert platform["platforms"]["kubernetes"]["pipelineConfig"]["workspace"]["size"] == "1Gi"
    importer = spec["deploymentSpec"]["executors"]["exec-importer"]["importer"]
    assert importer["downloadToWorkspace"] is True


def test_a_download_from_an_unreachable_store_fails_the_importer_by_name(tmp_path: Path, home: Path) -> None:
    @sluice.dsl.pipeline(
        pipeline_config=sluice.dsl.PipelineConfig(workspace=sluice.dsl.WorkspaceConfig(size="1Gi"))
    )
    def imports() -> None:
        sluice.dsl.importer(
            artifact_uri="gs://bucket/data.csv", artifact_class=sluice.dsl.Dataset, download_to_workspace=True
        )
        sluice.dsl.importer(
            artifact_uri=str(tmp_path / "missing.csv"),
            artifact_class=sluice.dsl.Dataset,
            download_to_workspace=True,
        )

    result = run_pipeline(imports, home=home, handle_sigint=False)
    assert result.state == "FAILED"
    remote, missing = result.task("importer"), result.task("importer-2")
    assert remote.state == missing.state == "FAILED"
    assert (
        remote.error is not None and "'gs://bucket/data.csv'" in remote.error and "not gs://" in remote.error
    )
    assert missing.error is not None and "nothing is at" in missing.error and "missing.csv" in missing.error


def _status(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


@pytest.mark.parametrize(
    ("pipeline", "run_state", "state"),
    [("guarded_failure", "FAILED", "FAILED"), ("guarded_success", "SUCCEEDED", "COMPLETE")],
)
def test_exit_handlers_get_the_final_status_as_kfps_backend_fills_it(
    compile_pipeline: Callable[[str, Path, Path], Path],
    assets: Path,
    data_file: Path,
    home: Path,
    tmp_path: Path,
    pipeline: str,
    run_state: str,
    state: str,
) -> None:
    report = tmp_path / "status.json"
    result = _run(compile_pipeline(pipeline, assets, data_file), home, path=str(report))
    assert result.state == run_state, result.error
    assert result.task("report").state == "SUCCEEDED"
    status = _status(report)
    # The ML-metadata state of the exit handler's group (not kfp.local's SUCCEEDED/FAILED), its task name,
    # and the run's resource name: the pipeline's name and a 5-character suffix, like a KFP workflow's.
    assert status["state"] == state
    assert status["task"] == "exit-handler-1"
    pipeline_name = pipeline.replace("_", "-")
    assert re.fullmatch(rf"{pipeline_name}-[bcdfghjklmnpqrstvwxz2456789]{{5}}", status["job"]), status["job"]
    # Empty when the group completed; else the failure's message (google.rpc.Code UNKNOWN).
    if run_state == "FAILED":
        assert status["code"] == 2 and "fail" in (status["message"] or ""), status
        assert "failing on purpose" in (result.task("fail").log_tail or "")
    else:
        assert status["code"] is None and status["message"] is None


def test_the_resource_name_is_stable_for_a_run_and_names_its_pipeline(home: Path, tmp_path: Path) -> None:
    @sluice.dsl.component
    def names(resource: str, job: str) -> str:
        return f"{resource} {job}"

    @sluice.dsl.pipeline(name="naming")
    def naming() -> str:
        return names(
            resource=sluice.dsl.PIPELINE_JOB_RESOURCE_NAME_PLACEHOLDER,
            job=sluice.dsl.PIPELINE_JOB_NAME_PLACEHOLDER,
        ).output

    first = run_pipeline(naming, home=home, handle_sigint=False)
    second = run_pipeline(naming, home=home, handle_sigint=False)
    resource, job = first.outputs["Output"].split(" ")
    assert resource.startswith("naming-") and len(resource) == len("naming-") + 5
    assert job == first.display_name  # {{$.pipeline_job_name}} stays the run's display name
    assert second.outputs["Output"].split(" ")[0] != resource
    assert run_resource_name("naming", first.run_id) == resource
    assert run_resource_name("namespace/x/pipeline/naming", first.run_id) == resource


def test_a_run_past_its_active_deadline_fails_and_its_tasks_are_killed(
    compile_pipeline: Callable[[str, Path, Path], Path],
    assets: Path,
    data_file: Path,
    home: Path,
    tmp_path: Path,
) -> None:
    trace = tmp_path / "trace"
    result = _run(compile_pipeline("bounded", assets, data_file), home, path=str(trace))
    # As Argo ends a workflow past its activeDeadlineSeconds: the run fails, its task is killed.
    assert result.state == "FAILED"
    assert result.error is not None and "activeDeadlineSeconds: 2 s" in result.error
    assert result.task("linger").state == "CANCELED"
    assert trace.read_text() == "started\n"
