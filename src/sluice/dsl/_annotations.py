"""Component I/O annotations (``Input[T]``, ``Output[T]``, ``EmbeddedInput[T]``, ``InputPath``, ``OutputPath``)
and their reading.

The compiler and the task runtime both need to know what a function parameter's annotation means;
:func:`describe_annotation` is the one place that decides. Task processes import this module:
standard library only.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Literal, NamedTuple, TypeVar, Union, get_args, get_origin

from sluice.dsl._artifacts import ARTIFACT_CLASSES_BY_SCHEMA_TITLE, Artifact
from sluice.dsl._final_status import PipelineTaskFinalStatus

__all__ = [
    "AnnotationInfo",
    "AnnotationKind",
    "EmbeddedAnnotation",
    "EmbeddedInput",
    "Input",
    "InputAnnotation",
    "InputPath",
    "Output",
    "OutputAnnotation",
    "OutputPath",
    "ParameterTypeName",
    "artifact_class_for_type_name",
    "describe_annotation",
    "is_artifact_class",
    "parameter_type_of",
    "strip_optional",
]

T = TypeVar("T")


class InputAnnotation:
    """Marker inside ``Input[T]``: the artifact is an input of the component."""


class OutputAnnotation:
    """Marker inside ``Output[T]``: the artifact is an output of the component."""


Input = Annotated[T, InputAnnotation]
"""``Input[Dataset]``: an input artifact of type ``Dataset`` (also ``Input[List[Dataset]]``)."""


class EmbeddedAnnotation:
    """Marker inside ``EmbeddedInput[T]``: the artifact is the file or folder embedded in the component."""


Output = Annotated[T, OutputAnnotation]
"""``Output[Model]``: an output artifact of type ``Model``, created by the runtime before the call."""

EmbeddedInput = Annotated[T, EmbeddedAnnotation]
"""``EmbeddedInput[Dataset]``: the file or folder given as ``@dsl.component(embedded_artifact_path=...)``,
embedded in the compiled component and extracted when the task starts. Not an input of the component's
interface: the runtime passes it, an artifact whose ``path`` is the extracted file (or folder)."""

ParameterTypeName = Literal[
    "NUMBER_DOUBLE", "NUMBER_INTEGER", "STRING", "BOOLEAN", "LIST", "STRUCT", "TASK_FINAL_STATUS"
]
"""The names of KFP's ``ParameterType`` enum values."""

_PARAMETER_TYPES_BY_CLASS: dict[type, ParameterTypeName] = {
    str: "STRING",
    int: "NUMBER_INTEGER",
    float: "NUMBER_DOUBLE",
    bool: "BOOLEAN",
    list: "LIST",
    dict: "STRUCT",
    PipelineTaskFinalStatus: "TASK_FINAL_STATUS",
}

# Type names accepted where a type is given as a string (``OutputPath('String')``, v1 component YAML),
# lower-cased.
_PARAMETER_TYPES_BY_NAME: dict[str, ParameterTypeName] = {
    "str": "STRING",
    "string": "STRING",
    "text": "STRING",
    "int": "NUMBER_INTEGER",
    "integer": "NUMBER_INTEGER",
    "float": "NUMBER_DOUBLE",
    "double": "NUMBER_DOUBLE",
    "bool": "BOOLEAN",
    "boolean": "BOOLEAN",
    "list": "LIST",
    "jsonarray": "LIST",
    "dict": "STRUCT",
    "jsonobject": "STRUCT",
    "pipelinetaskfinalstatus": "TASK_FINAL_STATUS",
}


def is_artifact_class(candidate: object) -> bool:
    """Whether ``candidate`` is an artifact class (``Dataset``, a user subclass of ``Artifact``...)."""
    return isinstance(candidate, type) and issubclass(candidate, Artifact)


def artifact_class_for_type_name(type_name: str) -> type[Artifact] | None:
    """The artifact class named by ``type_name``: ``'Dataset'``, ``'system.Dataset'``, ``'system.Dataset@0.0.1'``."""
    schema_title = type_name.partition("@")[0]
    if schema_title in ARTIFACT_CLASSES_BY_SCHEMA_TITLE:
        return ARTIFACT_CLASSES_BY_SCHEMA_TITLE[schema_title]
    lowered = schema_title.lower()
    for artifact_class in ARTIFACT_CLASSES_BY_SCHEMA_TITLE.values():
        if artifact_class.__name__.lower() == lowered:
            return artifact_class
    return None


def parameter_type_of(annotation: object) -> ParameterTypeName | None:
    """The KFP parameter type of ``annotation`` (``str``, ``List[int]``, ``'Integer'``...), or None."""
    if isinstance(annotation, type) and annotation in _PARAMETER_TYPES_BY_CLASS:
        return _PARAMETER_TYPES_BY_CLASS[annotation]
    origin = get_origin(annotation)
    if origin is list:
        return "LIST"
    if origin is dict:
        return "STRUCT"
    if isinstance(annotation, str):
        # 'typing.List[int]' and 'List[int]' name a list; keep only the outer name.
        short_name = annotation.removeprefix("typing.").partition("[")[0]
        return _PARAMETER_TYPES_BY_NAME.get(short_name.lower())
    return None


def strip_optional(annotation: object) -> tuple[object, bool]:
    """``Optional[X]`` (or ``X | None``) -> ``(X, True)``; any other annotation -> ``(annotation, False)``."""
    if get_origin(annotation) in (Union, types.UnionType):
        members = [member for member in get_args(annotation) if member is not type(None)]
        if len(members) == 1 and len(get_args(annotation)) == 2:
            return members[0], True
    return annotation, False


def _path_type(type_: object) -> object:
    """What ``InputPath(type_).type`` holds: the parameter type as given, else a bundled artifact type."""
    if is_artifact_class(type_):
        artifact_class: type[Artifact] = type_  # type: ignore[assignment]
        return f"{artifact_class.schema_title}@{artifact_class.schema_version}"
    if isinstance(type_, str):
        named_class = artifact_class_for_type_name(type_)
        if named_class is not None:
            return f"{named_class.schema_title}@{named_class.schema_version}"
    if parameter_type_of(type_) is not None:
        return type_
    # Like KFP: no type, or an unknown one, means a generic artifact.
    return f"{Artifact.schema_title}@{Artifact.schema_version}"


class _PathAnnotation:
    """Shared shape of :class:`InputPath` and :class:`OutputPath`."""

    def __init__(self, type: object = None) -> None:
        # ``type`` as KFP canonicalizes it: a parameter type as given, or "system.Dataset@0.0.1".
        self.type: object = _path_type(type)

    @property
    def artifact_class(self) -> type[Artifact] | None:
        """The artifact class at the path, or None when the path holds a parameter value."""
        if self.parameter_type is not None:
            return None
        return artifact_class_for_type_name(str(self.type)) or Artifact

    @property
    def parameter_type(self) -> ParameterTypeName | None:
        """The parameter type of the value at the path, or None when the path holds an artifact."""
        if isinstance(self.type, str) and "@" in self.type:
            return None
        return parameter_type_of(self.type)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _PathAnnotation) and type(other) is type(self) and other.type == self.type

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.type))

    def __repr__(self) -> str:
        type_text = self.type.__name__ if isinstance(self.type, type) else repr(self.type)
        return f"{type(self).__name__}({type_text})"


class InputPath(_PathAnnotation):
    """Annotates a parameter that receives the local path of an input (``InputPath('Dataset')``)."""


class OutputPath(_PathAnnotation):
    """Annotates a parameter that receives a local path to write an output to (``OutputPath(str)``)."""


AnnotationKind = Literal[
    "parameter", "input_artifact", "output_artifact", "input_path", "output_path", "embedded_input", "other"
]
"""What a component function's parameter annotation declares."""


class AnnotationInfo(NamedTuple):
    """What an annotation declares, as read by :func:`describe_annotation`."""

    kind: AnnotationKind
    artifact_class: type[Artifact] | None = None
    """For artifacts and paths to artifacts: the artifact class (the list's item class for lists)."""
    is_list: bool = False
    """For artifacts: a list of artifacts (``Input[List[Dataset]]``)."""
    parameter_type: ParameterTypeName | None = None
    """For parameters and paths to parameter values: the KFP parameter type."""
    is_optional: bool = False
    """The annotation was ``Optional[...]``."""


def _marker_of(annotation: object) -> type | None:
    if get_origin(annotation) is not Annotated:
        return None
    for marker in getattr(annotation, "__metadata__", ()):
        if marker is InputAnnotation or marker is OutputAnnotation or marker is EmbeddedAnnotation:
            return marker
    return None


def _artifact_or_list(annotation: object) -> tuple[type[Artifact], bool] | None:
    """``Dataset`` -> ``(Dataset, False)``; ``List[Dataset]`` -> ``(Dataset, True)``; else None."""
    if is_artifact_class(annotation):
        return annotation, False  # type: ignore[return-value]
    if get_origin(annotation) is list:
        item_types = get_args(annotation)
        if len(item_types) == 1 and is_artifact_class(item_types[0]):
            return item_types[0], True
    return None


def describe_annotation(annotation: Any) -> AnnotationInfo:
    """Read what the annotation of a component function's parameter declares.

    - ``Input[Dataset]``, a bare ``Dataset``, ``Input[List[Dataset]]``, ``List[Dataset]`` -> ``input_artifact``
    - ``Output[Model]``, ``Output[List[Model]]`` -> ``output_artifact``
    - ``EmbeddedInput[Dataset]`` -> ``embedded_input`` (``artifact_class``: the class, ``Artifact`` when
      ``T`` is not an artifact class, as in kfp)
    - ``InputPath(...)`` / ``OutputPath(...)`` -> ``input_path`` / ``output_path``, with either
      ``artifact_class`` or ``parameter_type`` set
    - ``str``, ``int``, ``float``, ``bool``, ``list``, ``dict`` (and ``List[...]``, ``Dict[...]``),
      ``PipelineTaskFinalStatus`` -> ``parameter``
    - anything else (no annotation, ``Any``, a custom class) -> ``other``

    ``Optional[...]`` around any of these sets ``is_optional``. For a return annotation, an artifact
    class means an output artifact: read ``artifact_class`` and ``parameter_type``, not ``kind``.
    """
    annotation, is_optional = strip_optional(annotation)
    marker = _marker_of(annotation)
    if marker is EmbeddedAnnotation:
        inner = get_args(annotation)[0]
        embedded_class = inner if is_artifact_class(inner) else Artifact
        return AnnotationInfo("embedded_input", embedded_class, False, None, is_optional)
    if marker is not None:
        artifact = _artifact_or_list(get_args(annotation)[0])
        if artifact is not None:
            kind: AnnotationKind = "input_artifact" if marker is InputAnnotation else "output_artifact"
            return AnnotationInfo(kind, artifact[0], artifact[1], None, is_optional)
        return AnnotationInfo("other", is_optional=is_optional)
    if isinstance(annotation, InputPath | OutputPath):
        path_kind: AnnotationKind = "input_path" if isinstance(annotation, InputPath) else "output_path"
        return AnnotationInfo(
            path_kind, annotation.artifact_class, False, annotation.parameter_type, is_optional
        )
    artifact = _artifact_or_list(annotation)
    if artifact is not None:
        return AnnotationInfo("input_artifact", artifact[0], artifact[1], None, is_optional)
    # Strings are only type names inside InputPath/OutputPath, never a parameter annotation.
    parameter_type = None if isinstance(annotation, str) else parameter_type_of(annotation)
    if parameter_type is not None:
        return AnnotationInfo("parameter", None, False, parameter_type, is_optional)
    return AnnotationInfo("other", is_optional=is_optional)
