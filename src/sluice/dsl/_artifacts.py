"""Artifact types, shaped and behaving like ``kfp.dsl``'s so KFP component code runs unchanged.

An artifact is a name, a URI and a metadata dict. Components read and write the artifact's bytes through
``artifact.path``, a local path derived from the URI the way KFP's backends mount object stores
(``gs://b/x`` is read at ``/gcs/b/x``). Task processes import this module: standard library only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "ARTIFACT_CLASSES_BY_SCHEMA_TITLE",
    "HTML",
    "WORKSPACE_METADATA_KEY",
    "WORKSPACE_VARIABLE",
    "Artifact",
    "ClassificationMetrics",
    "Dataset",
    "Markdown",
    "Metrics",
    "Model",
    "SlicedClassificationMetrics",
    "artifact_class_for_schema_title",
    "get_uri",
    "local_path_to_uri",
    "set_task_root",
    "uri_to_local_path",
    "workspace_artifact_path",
]

# Remote URI prefix -> where KFP backends mount that store inside the task container.
_REMOTE_PREFIX_TO_MOUNT = {
    "gs://": "/gcs/",
    "s3://": "/s3/",
    "minio://": "/minio/",
}
# Where s3:// objects appear on this machine when not under KFP's /s3/ mount: Sluice's engine stages them in
# a local folder and names it here for each task.
S3_MOUNT_VARIABLE = "SLUICE_S3_MOUNT"
_OCI_PREFIX = "oci://"
_OCI_MOUNT = "/oci/"
_FILE_PREFIX = "file://"
# KFP's backend marks artifacts copied into the pipeline workspace with this metadata key.
WORKSPACE_METADATA_KEY = "_kfp_workspace"
_WORKSPACE_MOUNT_PATH = "/kfp-workspace"
# Where the run's workspace is on this machine (KFP mounts it at /kfp-workspace): Sluice's engine sets it.
WORKSPACE_VARIABLE = "SLUICE_WORKSPACE"


def _mounts(environment: Mapping[str, str] | None = None) -> dict[str, str]:
    mounts = dict(_REMOTE_PREFIX_TO_MOUNT)
    s3_mount = (os.environ if environment is None else environment).get(S3_MOUNT_VARIABLE)
    if s3_mount:
        mounts["s3://"] = s3_mount.rstrip("/") + "/"
    return mounts


def uri_to_local_path(uri: str, environment: Mapping[str, str] | None = None) -> str:
    """The local path at which a task reads or writes the artifact stored at ``uri`` (in a task whose
    environment is ``environment``; default: this process's)."""
    for prefix, mount in _mounts(environment).items():
        if uri.startswith(prefix):
            return mount + uri[len(prefix) :]
    if uri.startswith(_OCI_PREFIX):
        # An OCI reference is one image, so it maps to one flat directory name.
        return _OCI_MOUNT + uri[len(_OCI_PREFIX) :].replace("/", "_")
    if uri.startswith(_FILE_PREFIX):
        return uri[len(_FILE_PREFIX) :]
    return uri


def workspace_artifact_path(workspace: str, local_path: str) -> str:
    """Where an artifact downloaded to the workspace is (``<workspace>/.artifacts/<its usual path>``), as
    KFP's importer places it."""
    return os.path.join(workspace, ".artifacts", local_path.lstrip("/"))


def local_path_to_uri(path: str) -> str:
    """The inverse of :func:`uri_to_local_path`: the URI of an artifact found at a mounted ``path``."""
    for prefix, mount in _mounts().items():
        if path.startswith(mount):
            return prefix + path[len(mount) :]
    if path.startswith(_OCI_MOUNT):
        reference = path[len(_OCI_MOUNT) :].replace("_", "/").removesuffix("/models")
        return _OCI_PREFIX + reference
    return path


class Artifact:
    """A generic machine learning artifact: a name, a URI and arbitrary key-value metadata.

    Use it when no more specific type (``Dataset``, ``Model``, ...) fits.
    """

    schema_title = "system.Artifact"
    schema_version = "0.0.1"

    def __init__(
        self,
        name: str | None = None,
        uri: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.name = name or ""
        self.uri = uri or ""
        # Keep the caller's dict (not a copy) so views over shared metadata stay in sync.
        self.metadata: dict[str, Any] = metadata if metadata is not None else {}
        self._custom_path = ""

    @property
    def path(self) -> str:
        """The local path of the artifact's content."""
        return self._local_path()

    @path.setter
    def path(self, path: str) -> None:
        self.uri = local_path_to_uri(path)

    @property
    def custom_path(self) -> str:
        """A path chosen by the component with :meth:`set_path`; empty when none was chosen."""
        return self._custom_path

    @custom_path.setter
    def custom_path(self, value: str) -> None:
        self._custom_path = value

    def set_path(self, path: str) -> None:
        """Make ``path`` the artifact's local path, leaving its URI as it is."""
        self._custom_path = path

    def _local_path(self) -> str:
        local_path = self._custom_path or uri_to_local_path(self.uri)
        if self.metadata.get(WORKSPACE_METADATA_KEY) is True:
            workspace = os.environ.get(WORKSPACE_VARIABLE) or _WORKSPACE_MOUNT_PATH
            local_path = workspace_artifact_path(workspace, local_path)
        return local_path

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, uri={self.uri!r}, metadata={self.metadata!r})"


class Model(Artifact):
    """A trained machine learning model."""

    schema_title = "system.Model"

    @property
    def path(self) -> str:
        # KServe modelcar images keep the model files under /models.
        if self.uri.startswith(_OCI_PREFIX):
            return self._local_path() + "/models"
        return self._local_path()

    @path.setter
    def path(self, path: str) -> None:
        self.uri = local_path_to_uri(path)

    @property
    def framework(self) -> str:
        """The model's framework, kept in ``metadata['framework']``."""
        return str(self.metadata.get("framework", ""))

    @framework.setter
    def framework(self, framework: str) -> None:
        self.metadata["framework"] = framework


class Dataset(Artifact):
    """A machine learning dataset."""

    schema_title = "system.Dataset"


class Metrics(Artifact):
    """Scalar metrics, kept as key-value pairs in the artifact's metadata."""

    schema_title = "system.Metrics"

    def log_metric(self, metric: str, value: float) -> None:
        """Record the scalar ``value`` under the key ``metric``."""
        self.metadata[metric] = value


class ClassificationMetrics(Artifact):
    """Classification metrics: an ROC curve and a confusion matrix, in KFP's metadata layout.

    ``metadata['confidenceMetrics']`` lists ROC points; ``metadata['confusionMatrix']`` holds
    ``annotationSpecs`` (one ``{'displayName': category}`` per category) and ``rows`` (one
    ``{'row': [counts...]}`` per category). All state lives in the metadata, so an artifact read back
    from a task's inputs can be extended.
    """

    schema_title = "system.ClassificationMetrics"

    def log_roc_data_point(self, fpr: float, tpr: float, threshold: float) -> None:
        """Append one point of the ROC curve."""
        point = {"confidenceThreshold": threshold, "recall": tpr, "falsePositiveRate": fpr}
        self.metadata.setdefault("confidenceMetrics", []).append(point)

    def log_roc_curve(self, fpr: list[float], tpr: list[float], threshold: list[float]) -> None:
        """Append a whole ROC curve given as three parallel lists."""
        if not len(fpr) == len(tpr) == len(threshold):
            raise ValueError(
                "Length of fpr, tpr and threshold must be the same. "
                f"Got lengths {len(fpr)}, {len(tpr)} and {len(threshold)} respectively."
            )
        for point_fpr, point_tpr, point_threshold in zip(fpr, tpr, threshold):
            self.log_roc_data_point(fpr=point_fpr, tpr=point_tpr, threshold=point_threshold)

    def set_confusion_matrix_categories(self, categories: list[str]) -> None:
        """Start a confusion matrix over ``categories``, all cells zero."""
        self.metadata["confusionMatrix"] = {
            "annotationSpecs": [{"displayName": category} for category in categories],
            "rows": [{"row": [0] * len(categories)} for _ in categories],
        }

    def log_confusion_matrix_row(self, row_category: str, row: Sequence[float]) -> None:
        """Set the whole row of ``row_category``."""
        categories, rows = self._confusion_matrix()
        row_index = self._category_index(categories, row_category)
        if len(row) != len(categories):
            raise ValueError(f"Invalid row. Expected size: {len(categories)} got: {len(row)}")
        rows[row_index] = {"row": list(row)}

    def log_confusion_matrix_cell(self, row_category: str, col_category: str, value: int) -> None:
        """Set one cell: how many items of ``row_category`` were predicted as ``col_category``."""
        categories, rows = self._confusion_matrix()
        row_index = self._category_index(categories, row_category)
        column_index = self._category_index(categories, col_category)
        rows[row_index]["row"][column_index] = value

    def log_confusion_matrix(self, categories: list[str], matrix: Sequence[Sequence[float]]) -> None:
        """Record a whole confusion matrix, one row per category."""
        if len(matrix) != len(categories) or any(len(row) != len(categories) for row in matrix):
            raise ValueError(f"Invalid matrix: {matrix} passed for categories: {categories}")
        self.set_confusion_matrix_categories(categories)
        for category, row in zip(categories, matrix):
            self.log_confusion_matrix_row(category, row)

    def _confusion_matrix(self) -> tuple[list[str], list[dict[str, Any]]]:
        matrix = self.metadata.get("confusionMatrix")
        if not isinstance(matrix, dict):
            raise ValueError("Call set_confusion_matrix_categories() before logging confusion matrix values.")
        categories = [str(spec.get("displayName")) for spec in matrix.get("annotationSpecs", [])]
        rows: list[dict[str, Any]] = matrix.setdefault("rows", [])
        return categories, rows

    @staticmethod
    def _category_index(categories: list[str], category: str) -> int:
        if category not in categories:
            raise ValueError(f"Invalid category: {category} passed. Expected one of: {categories}")
        return categories.index(category)


class SlicedClassificationMetrics(Artifact):
    """Classification metrics per data slice.

    Metadata layout: ``{'evaluationSlices': [{'slice': name, 'sliceClassificationMetrics': <the
    ClassificationMetrics metadata of that slice>}, ...]}``, in the order slices were first logged.
    """

    schema_title = "system.SlicedClassificationMetrics"

    def log_roc_reading(self, slice: str, threshold: float, tpr: float, fpr: float) -> None:
        """Append one ROC point to ``slice``."""
        self._slice_metrics(slice).log_roc_data_point(fpr=fpr, tpr=tpr, threshold=threshold)

    def load_roc_readings(self, slice: str, readings: list[list[float]]) -> None:
        """Append ROC points to ``slice``, each given as ``[threshold, tpr, fpr]``."""
        metrics = self._slice_metrics(slice)
        for threshold, tpr, fpr in readings:
            metrics.log_roc_data_point(fpr=fpr, tpr=tpr, threshold=threshold)

    def set_confusion_matrix_categories(self, slice: str, categories: list[str]) -> None:
        """Start a confusion matrix over ``categories`` for ``slice``."""
        self._slice_metrics(slice).set_confusion_matrix_categories(categories)

    def log_confusion_matrix_row(self, slice: str, row_category: str, row: list[int]) -> None:
        """Set one row of the confusion matrix of ``slice``."""
        self._slice_metrics(slice).log_confusion_matrix_row(row_category, row)

    def log_confusion_matrix_cell(self, slice: str, row_category: str, col_category: str, value: int) -> None:
        """Set one cell of the confusion matrix of ``slice``."""
        self._slice_metrics(slice).log_confusion_matrix_cell(row_category, col_category, value)

    def load_confusion_matrix(self, slice: str, categories: list[str], matrix: list[list[int]]) -> None:
        """Record the whole confusion matrix of ``slice``."""
        self._slice_metrics(slice).log_confusion_matrix(categories, matrix)

    def _slice_metrics(self, slice_name: str) -> ClassificationMetrics:
        slices: list[dict[str, Any]] = self.metadata.setdefault("evaluationSlices", [])
        for entry in slices:
            if entry.get("slice") == slice_name:
                break
        else:
            entry = {"slice": slice_name, "sliceClassificationMetrics": {}}
            slices.append(entry)
        # A view sharing the slice's metadata dict: logging through it updates this artifact.
        return ClassificationMetrics(metadata=entry.setdefault("sliceClassificationMetrics", {}))


class HTML(Artifact):
    """An HTML document."""

    schema_title = "system.HTML"


class Markdown(Artifact):
    """A Markdown document."""

    schema_title = "system.Markdown"


ARTIFACT_CLASSES_BY_SCHEMA_TITLE: dict[str, type[Artifact]] = {
    artifact_class.schema_title: artifact_class
    for artifact_class in (
        Artifact,
        Model,
        Dataset,
        Metrics,
        ClassificationMetrics,
        SlicedClassificationMetrics,
        HTML,
        Markdown,
    )
}
"""The built-in artifact classes by schema title (``"system.Dataset"`` -> ``Dataset``)."""


def artifact_class_for_schema_title(
    schema_title: str, default: type[Artifact] | None = None
) -> type[Artifact] | None:
    """The artifact class of ``schema_title`` (``"system.Model"`` or ``"system.Model@0.0.1"``)."""
    return ARTIFACT_CLASSES_BY_SCHEMA_TITLE.get(schema_title.partition("@")[0], default)


# Where the running task keeps its outputs (the executor output's directory); set by the task runtime.
_task_state: dict[str, str | None] = {"root": None}


def set_task_root(task_root: str | None) -> None:
    """Tell :func:`get_uri` where the running task keeps its outputs (the task runtime calls this)."""
    _task_state["root"] = task_root


def get_uri(suffix: str = "Output") -> str:
    """A URI unique to the running task, ending in ``suffix``; only callable inside a task."""
    task_root = _task_state["root"]
    if task_root is None:
        raise RuntimeError(
            "'dsl.get_uri' can only be called at task runtime. "
            "The task root is unknown in the current environment."
        )
    return os.path.join(local_path_to_uri(task_root), suffix)
