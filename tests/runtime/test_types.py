"""Artifact types and annotation reading, in process; the kfp SDK serves as the reference where installed."""

# KFP users write typing's List/Dict/Optional: reading those is part of what these tests check.
# ruff: noqa: UP006, UP035, UP045

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest

from sluice import dsl
from sluice.dsl import _annotations, _artifacts
from sluice.dsl._annotations import AnnotationInfo, describe_annotation

ARTIFACT_CLASS_NAMES = [
    "Artifact",
    "Dataset",
    "Model",
    "Metrics",
    "ClassificationMetrics",
    "SlicedClassificationMetrics",
    "HTML",
    "Markdown",
]
URIS = [
    "gs://bucket/a/b",
    "s3://bucket/k",
    "minio://mlpipeline/x",
    "oci://registry.io/org/model:1",
    "/local/path",
    "relative/path",
    "",
]


@pytest.fixture(scope="module")
def kfp_dsl() -> Any:
    return pytest.importorskip("kfp.dsl")


@pytest.mark.kfp
@pytest.mark.parametrize("class_name", ARTIFACT_CLASS_NAMES)
def test_schema_titles_and_versions_match_kfp(kfp_dsl: Any, class_name: str) -> None:
    ours, theirs = getattr(dsl, class_name), getattr(kfp_dsl, class_name)
    assert (ours.schema_title, ours.schema_version) == (theirs.schema_title, theirs.schema_version)
    assert _artifacts.ARTIFACT_CLASSES_BY_SCHEMA_TITLE[ours.schema_title] is ours


@pytest.mark.kfp
@pytest.mark.parametrize("uri", URIS)
@pytest.mark.parametrize("class_name", ["Artifact", "Model"])
def test_paths_match_kfp(kfp_dsl: Any, uri: str, class_name: str) -> None:
    ours, theirs = getattr(dsl, class_name)(uri=uri), getattr(kfp_dsl, class_name)(uri=uri)
    assert ours.path == theirs.path
    ours.path = theirs.path = "/gcs/other/place"
    assert ours.uri == theirs.uri == "gs://other/place"


def test_file_uris_and_workspace_artifacts() -> None:
    assert dsl.Dataset(uri="file:///tmp/data.csv").path == "/tmp/data.csv"
    in_workspace = dsl.Dataset(uri="minio://b/d", metadata={"_kfp_workspace": True})
    assert in_workspace.path == "/kfp-workspace/.artifacts/minio/b/d"
    custom = dsl.Model(uri="gs://b/m")
    custom.set_path("/mnt/model")
    assert (custom.path, custom.uri, custom.custom_path) == ("/mnt/model", "gs://b/m", "/mnt/model")


def test_constructor_defaults_and_model_framework() -> None:
    artifact = dsl.Artifact()
    assert (artifact.name, artifact.uri, artifact.metadata) == ("", "", {})
    model = dsl.Model(name="m", uri="/m", metadata={"framework": "torch"})
    assert model.framework == "torch"
    model.framework = "jax"
    assert model.metadata == {"framework": "jax"}
    assert repr(model) == "Model(name='m', uri='/m', metadata={'framework': 'jax'})"


def log_classification_metrics(metrics: Any) -> None:
    metrics.log_roc_curve([0.0, 0.1], [0.5, 0.9], [0.8, 0.2])
    metrics.log_roc_data_point(fpr=1.0, tpr=1.0, threshold=0.0)
    metrics.log_confusion_matrix(["a", "b", "c"], [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    metrics.log_confusion_matrix_row("b", [0, 9, 0])
    metrics.log_confusion_matrix_cell("c", "a", 42)


@pytest.mark.kfp
def test_classification_metrics_metadata_matches_kfp(kfp_dsl: Any) -> None:
    ours, theirs = dsl.ClassificationMetrics(), kfp_dsl.ClassificationMetrics()
    log_classification_metrics(ours)
    log_classification_metrics(theirs)
    assert ours.metadata == theirs.metadata


def test_classification_metrics_validation() -> None:
    metrics = dsl.ClassificationMetrics()
    with pytest.raises(ValueError, match="set_confusion_matrix_categories"):
        metrics.log_confusion_matrix_row("a", [1])
    metrics.set_confusion_matrix_categories(["a", "b"])
    with pytest.raises(ValueError, match="Invalid category: z"):
        metrics.log_confusion_matrix_cell("a", "z", 1)
    with pytest.raises(ValueError, match="Expected size: 2 got: 3"):
        metrics.log_confusion_matrix_row("a", [1, 2, 3])
    with pytest.raises(ValueError, match="Length of fpr, tpr and threshold must be the same"):
        metrics.log_roc_curve([0.1], [0.2, 0.3], [0.4])
    with pytest.raises(ValueError, match="Invalid matrix"):
        metrics.log_confusion_matrix(["a", "b"], [[1, 2]])


def test_classification_metrics_continue_from_existing_metadata() -> None:
    first = dsl.ClassificationMetrics()
    first.set_confusion_matrix_categories(["x", "y"])
    # An artifact rebuilt from a task's executor input keeps logging where the producer stopped.
    rebuilt = dsl.ClassificationMetrics(metadata=first.metadata)
    rebuilt.log_confusion_matrix_cell("y", "x", 3)
    assert rebuilt.metadata["confusionMatrix"]["rows"] == [{"row": [0, 0]}, {"row": [3, 0]}]


@pytest.mark.kfp
@pytest.mark.parametrize(
    "type_argument",
    [None, str, int, float, bool, list, dict, "String", "Integer", "Dataset", "model", "MyCustomType"],
)
def test_path_annotation_types_match_kfp(kfp_dsl: Any, type_argument: Any) -> None:
    our_type = dsl.OutputPath(type_argument).type
    kfp_type = kfp_dsl.OutputPath(type_argument).type
    assert our_type == kfp_type
    assert dsl.InputPath(type_argument) == dsl.InputPath(type_argument)
    assert dsl.InputPath(type_argument) != dsl.OutputPath(type_argument)


def test_path_annotation_types_for_artifact_classes() -> None:
    assert dsl.InputPath(dsl.Dataset).type == "system.Dataset@0.0.1"
    assert dsl.OutputPath(List[int]).type == List[int]
    assert repr(dsl.OutputPath(str)) == "OutputPath(str)"
    assert repr(dsl.InputPath("Dataset")) == "InputPath('system.Dataset@0.0.1')"


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (str, AnnotationInfo("parameter", parameter_type="STRING")),
        (int, AnnotationInfo("parameter", parameter_type="NUMBER_INTEGER")),
        (float, AnnotationInfo("parameter", parameter_type="NUMBER_DOUBLE")),
        (bool, AnnotationInfo("parameter", parameter_type="BOOLEAN")),
        (list, AnnotationInfo("parameter", parameter_type="LIST")),
        (List[str], AnnotationInfo("parameter", parameter_type="LIST")),
        (list[int], AnnotationInfo("parameter", parameter_type="LIST")),
        (Dict[str, int], AnnotationInfo("parameter", parameter_type="STRUCT")),
        (Optional[dict], AnnotationInfo("parameter", parameter_type="STRUCT", is_optional=True)),
        (int | None, AnnotationInfo("parameter", parameter_type="NUMBER_INTEGER", is_optional=True)),
        (dsl.PipelineTaskFinalStatus, AnnotationInfo("parameter", parameter_type="TASK_FINAL_STATUS")),
        (dsl.Input[dsl.Dataset], AnnotationInfo("input_artifact", dsl.Dataset)),
        (dsl.Dataset, AnnotationInfo("input_artifact", dsl.Dataset)),
        (dsl.Input[List[dsl.Model]], AnnotationInfo("input_artifact", dsl.Model, is_list=True)),
        (List[dsl.Model], AnnotationInfo("input_artifact", dsl.Model, is_list=True)),
        (Optional[dsl.Input[dsl.HTML]], AnnotationInfo("input_artifact", dsl.HTML, is_optional=True)),
        (dsl.Output[dsl.Metrics], AnnotationInfo("output_artifact", dsl.Metrics)),
        (dsl.Output[list[dsl.Model]], AnnotationInfo("output_artifact", dsl.Model, is_list=True)),
        (dsl.InputPath("Dataset"), AnnotationInfo("input_path", dsl.Dataset)),
        (dsl.InputPath(), AnnotationInfo("input_path", dsl.Artifact)),
        (dsl.InputPath(str), AnnotationInfo("input_path", parameter_type="STRING")),
        (dsl.OutputPath(dsl.Model), AnnotationInfo("output_path", dsl.Model)),
        (dsl.OutputPath("Integer"), AnnotationInfo("output_path", parameter_type="NUMBER_INTEGER")),
        (dsl.OutputPath(List[int]), AnnotationInfo("output_path", parameter_type="LIST")),
        (Any, AnnotationInfo("other")),
        (set, AnnotationInfo("other")),
        ("str", AnnotationInfo("other")),
        (dsl.Input[str], AnnotationInfo("other")),
        (int | str, AnnotationInfo("other")),
    ],
)
def test_describe_annotation(annotation: Any, expected: AnnotationInfo) -> None:
    assert describe_annotation(annotation) == expected


def test_user_subclasses_are_artifact_classes() -> None:
    class VertexModel(dsl.Artifact):
        schema_title = "google.VertexModel"

    assert describe_annotation(dsl.Output[VertexModel]) == AnnotationInfo("output_artifact", VertexModel)
    assert _annotations.artifact_class_for_type_name("google.VertexModel") is None
    assert _annotations.artifact_class_for_type_name("system.Metrics@0.0.1") is dsl.Metrics
    assert _annotations.artifact_class_for_type_name("metrics") is dsl.Metrics


def test_pipeline_task_final_status_value_semantics() -> None:
    status = dsl.PipelineTaskFinalStatus("FAILED", "runs/1", "train", 13, "boom")
    assert status == dsl.PipelineTaskFinalStatus("FAILED", "runs/1", "train", 13, "boom")
    assert status != dsl.PipelineTaskFinalStatus("SUCCEEDED", "runs/1", "train", None, None)
    match status:
        case dsl.PipelineTaskFinalStatus(state, _, task_name, code, _):
            assert (state, task_name, code) == ("FAILED", "train", 13)


def test_get_uri_outside_a_task_raises() -> None:
    _artifacts.set_task_root(None)
    with pytest.raises(RuntimeError, match="only be called at task runtime"):
        dsl.get_uri()
    _artifacts.set_task_root("/gcs/bucket/run/task")
    try:
        assert dsl.get_uri("model") == "gs://bucket/run/task/model"
    finally:
        _artifacts.set_task_root(None)
