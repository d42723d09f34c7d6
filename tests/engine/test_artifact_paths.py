"""Output artifacts are where their URI says: ``set_path()`` content is carried to the URI (downstream tasks
read it), and a declared output that was never written fails its task instead of passing on a URI to nothing.

Each case runs a pipeline compiled by the official kfp SDK; the main ones also as ``sluice.dsl`` pipelines.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from sluice import dsl
from sluice.dsl import Dataset, Input, Output
from sluice.engine import run_pipeline


def _kfp(name: str, folder: Path) -> Path:
    from tests.engine import kfp_artifact_paths
    from tests.engine.kfp_pipelines import compile_to

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compile_to(getattr(kfp_artifact_paths, name), folder, name)


def _run(pipeline: object, home: Path, **arguments: object):
    return run_pipeline(pipeline, dict(arguments), home=home, handle_sigint=False)


def _artifact_path(result, task: str, output: str) -> Path:
    return Path(result.task(task).outputs[output])


def test_kfp_set_path_content_reaches_the_uri_and_the_next_task(home: Path, tmp_path: Path) -> None:
    result = _run(_kfp("custom_path_file", tmp_path), home, folder=str(tmp_path / "work"), text="abc")
    assert result.succeeded, result.error
    assert result.outputs == {"Output": "abc"}
    stored = _artifact_path(result, "write-at-custom-path", "data")
    assert stored.read_text() == "abc"
    assert stored.is_relative_to(home)  # the URI is the run's, not the custom path
    assert (tmp_path / "work" / "custom" / "data.txt").read_text() == "abc"  # left where it was written


def test_kfp_set_path_folder_is_carried_whole(home: Path, tmp_path: Path) -> None:
    result = _run(_kfp("custom_path_folder", tmp_path), home, folder=str(tmp_path / "work"))
    assert result.succeeded, result.error
    assert result.outputs == {"Output": ["config.json", "weights/layer-1"]}
    stored = _artifact_path(result, "write-folder-at-custom-path", "model")
    assert (stored / "weights" / "layer-1").read_text() == "w1"


def test_kfp_set_path_to_an_unwritable_place_fails_the_task_naming_the_output(
    home: Path, tmp_path: Path
) -> None:
    target = "/proc/sluice-no-such-dir/data.txt"  # not even root can create it
    result = _run(_kfp("unwritable_custom_path", tmp_path), home, path=target)
    assert result.state == "FAILED"
    error = result.task("write-to-unwritable-path").error or ""
    assert "output artifact 'data'" in error and f"set_path({target!r})" in error
    assert "cannot be written" in error
    assert result.task("read-text").state == "SKIPPED"


def test_kfp_set_path_with_nothing_written_fails_the_task(home: Path, tmp_path: Path) -> None:
    target = str(tmp_path / "never" / "written.txt")
    result = _run(_kfp("custom_path_left_empty", tmp_path), home, path=target)
    assert result.state == "FAILED"
    error = result.task("set-path-write-nothing").error or ""
    assert "output artifact 'data'" in error and "nothing was written to" in error and target in error
    assert result.task("read-text").state == "SKIPPED"


@pytest.mark.parametrize(
    ("pipeline", "task", "output"),
    [
        ("python_output_never_written", "forget-the-data", "data"),
        ("container_output_never_written", "echo-only", "data"),
    ],
)
def test_kfp_output_artifact_never_written_fails_its_task(
    home: Path, tmp_path: Path, pipeline: str, task: str, output: str
) -> None:
    result = _run(_kfp(pipeline, tmp_path), home)
    assert result.state == "FAILED"
    error = result.task(task).error or ""
    assert f"output artifact {output!r} was never written" in error
    assert result.task("read-text").state == "SKIPPED"
    assert "read-text" not in (result.error or "")


def test_metrics_artifacts_hold_no_file_and_that_is_fine(home: Path, tmp_path: Path) -> None:
    result = _run(_kfp("metrics_without_files", tmp_path), home)
    assert result.succeeded, result.error


# ---------------------------------------------------------------- the same with sluice.dsl


@dsl.component
def sluice_write_at_custom_path(folder: str, text: str, data: Output[Dataset]):
    import os

    data.set_path(os.path.join(folder, "out.txt"))
    with open(data.path, "w") as handle:
        handle.write(text)


@dsl.component
def sluice_read_text(data: Input[Dataset]) -> str:
    with open(data.path) as handle:
        return handle.read()


@dsl.pipeline
def sluice_custom_path(folder: str, text: str) -> str:
    produced = sluice_write_at_custom_path(folder=folder, text=text)
    return sluice_read_text(data=produced.outputs["data"]).output


@dsl.component
def sluice_forget(data: Output[Dataset]) -> int:
    return 1


@dsl.pipeline
def sluice_never_written():
    sluice_read_text(data=sluice_forget().outputs["data"])


def test_sluice_set_path_content_reaches_the_next_task(home: Path, tmp_path: Path) -> None:
    result = _run(sluice_custom_path, home, folder=str(tmp_path), text="from sluice")
    assert result.succeeded, result.error
    assert result.outputs == {"Output": "from sluice"}
    assert _artifact_path(result, "sluice-write-at-custom-path", "data").read_text() == "from sluice"


def test_sluice_output_never_written_fails_its_task(home: Path) -> None:
    result = _run(sluice_never_written, home)
    assert result.state == "FAILED"
    assert "output artifact 'data' was never written" in (result.task("sluice-forget").error or "")
    assert result.task("sluice-read-text").state == "SKIPPED"
