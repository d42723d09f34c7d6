"""The types of component inputs and outputs: parameter types, artifact types, and their interfaces.

A component's interface is a mapping of input names to :class:`InputSpec` and output names to
:class:`OutputSpec`. This module reads interfaces from Python signatures (the annotations of a
``@dsl.component`` function) and checks that an argument fits the input it is passed to.
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Callable
from typing import Any, NamedTuple, get_args, get_origin

from sluice.dsl._annotations import describe_annotation, is_artifact_class, strip_optional
from sluice.dsl._artifacts import Artifact
from sluice.dsl._errors import PipelineDefinitionError, caller_namespace, location_of_function

__all__ = [
    "SINGLE_OUTPUT_NAME",
    "ArtifactType",
    "IOType",
    "InputSpec",
    "OutputSpec",
    "ParameterKind",
    "ParameterType",
    "artifact_type_of_class",
    "check_default_value",
    "parameter_type_of_annotation",
    "parameter_type_of_value",
    "read_signature",
    "resolved_annotations",
    "types_are_compatible",
]

SINGLE_OUTPUT_NAME = "Output"
"""The name KFP gives a component's single return value."""


class ParameterKind(enum.StrEnum):
    """KFP's parameter types; the values are the names of ``ParameterType`` in the PipelineSpec."""

    STRING = "STRING"
    NUMBER_INTEGER = "NUMBER_INTEGER"
    NUMBER_DOUBLE = "NUMBER_DOUBLE"
    BOOLEAN = "BOOLEAN"
    LIST = "LIST"
    STRUCT = "STRUCT"
    TASK_FINAL_STATUS = "TASK_FINAL_STATUS"


_KIND_NAMES = {
    ParameterKind.STRING: "String",
    ParameterKind.NUMBER_INTEGER: "Integer",
    ParameterKind.NUMBER_DOUBLE: "Float",
    ParameterKind.BOOLEAN: "Boolean",
    ParameterKind.LIST: "List",
    ParameterKind.STRUCT: "Dict",
    ParameterKind.TASK_FINAL_STATUS: "PipelineTaskFinalStatus",
}
_KINDS_BY_CLASS: dict[type, ParameterKind] = {
    str: ParameterKind.STRING,
    int: ParameterKind.NUMBER_INTEGER,
    float: ParameterKind.NUMBER_DOUBLE,
    bool: ParameterKind.BOOLEAN,
    list: ParameterKind.LIST,
    dict: ParameterKind.STRUCT,
}


class ParameterType(NamedTuple):
    """A parameter type. Lists and dicts may know their items' type (``List[int]``), which types loop items."""

    kind: ParameterKind
    item: ParameterType | None = None
    """For a list: the type of its items, when the annotation says."""
    value: ParameterType | None = None
    """For a dict: the type of its values, when the annotation says."""

    def __str__(self) -> str:
        name = _KIND_NAMES[self.kind]
        if self.item is not None:
            return f"{name}[{self.item}]"
        if self.value is not None:
            return f"{name}[String, {self.value}]"
        return name

    @property
    def loop_item_type(self) -> ParameterType:
        """The type of one item when a loop iterates over a value of this type (unknown: a string)."""
        return self.item if self.item is not None else ParameterType(ParameterKind.STRING)

    @property
    def field_type(self) -> ParameterType:
        """The type of one field (``item.name``) of a dict of this type (unknown: a string)."""
        return self.value if self.value is not None else ParameterType(ParameterKind.STRING)


class ArtifactType(NamedTuple):
    """An artifact type: a schema title (``system.Dataset``) and version."""

    schema_title: str
    schema_version: str

    def __str__(self) -> str:
        return f"{self.schema_title}@{self.schema_version}"


IOType = ParameterType | ArtifactType


class InputSpec:
    """One input of a component.

    ``optional``: the input may be left out (it has a default, ``None`` included, or is a final status);
    ``default`` is the default value, meaningful only when ``optional``.
    """

    __slots__ = ("default", "description", "is_artifact_list", "optional", "type")

    def __init__(
        self,
        type: IOType,
        optional: bool = False,
        default: Any = None,
        is_artifact_list: bool = False,
        description: str | None = None,
    ) -> None:
        self.type = type
        self.optional = optional
        self.default = default
        self.is_artifact_list = is_artifact_list
        self.description = description

    def __repr__(self) -> str:
        return (
            f"InputSpec(type={self.type}, optional={self.optional}, default={self.default!r}, "
            f"is_artifact_list={self.is_artifact_list})"
        )

    @property
    def is_artifact(self) -> bool:
        return isinstance(self.type, ArtifactType)


class OutputSpec:
    """One output of a component."""

    __slots__ = ("description", "is_artifact_list", "type")

    def __init__(self, type: IOType, is_artifact_list: bool = False, description: str | None = None) -> None:
        self.type = type
        self.is_artifact_list = is_artifact_list
        self.description = description

    def __repr__(self) -> str:
        return f"OutputSpec(type={self.type}, is_artifact_list={self.is_artifact_list})"

    @property
    def is_artifact(self) -> bool:
        return isinstance(self.type, ArtifactType)


def artifact_type_of_class(artifact_class: type[Artifact]) -> ArtifactType:
    return ArtifactType(artifact_class.schema_title, artifact_class.schema_version)


def parameter_type_of_annotation(annotation: Any) -> ParameterType | None:
    """The parameter type an annotation declares (``int``, ``List[str]``, ``dict[str, float]``...), or None."""
    from sluice.dsl._final_status import PipelineTaskFinalStatus

    if annotation is PipelineTaskFinalStatus:
        return ParameterType(ParameterKind.TASK_FINAL_STATUS)
    if isinstance(annotation, type) and annotation in _KINDS_BY_CLASS:
        return ParameterType(_KINDS_BY_CLASS[annotation])
    origin = get_origin(annotation)
    arguments = get_args(annotation)
    if origin is list:
        item = parameter_type_of_annotation(arguments[0]) if len(arguments) == 1 else None
        return ParameterType(ParameterKind.LIST, item=item)
    if origin is dict:
        value = parameter_type_of_annotation(arguments[1]) if len(arguments) == 2 else None
        return ParameterType(ParameterKind.STRUCT, value=value)
    return None


def parameter_type_of_value(value: Any) -> ParameterType | None:
    """The parameter type of a constant (``3`` -> integer); None for values that are not parameters."""
    if isinstance(value, bool):
        return ParameterType(ParameterKind.BOOLEAN)
    for python_type, kind in _KINDS_BY_CLASS.items():
        if isinstance(value, python_type):
            return ParameterType(kind)
    return None


def types_are_compatible(
    given: IOType, given_is_list: bool, expected: IOType, expected_is_list: bool
) -> bool:
    """Whether an argument of type ``given`` may be passed to an input of type ``expected``."""
    if isinstance(given, ParameterType) != isinstance(expected, ParameterType):
        return False
    if isinstance(given, ParameterType) and isinstance(expected, ParameterType):
        return given.kind == expected.kind
    assert isinstance(given, ArtifactType) and isinstance(expected, ArtifactType)
    if given_is_list != expected_is_list:
        return False
    if Artifact.schema_title in (given.schema_title, expected.schema_title):
        return True
    return (
        given.schema_title == expected.schema_title
        and given.schema_version.split(".")[0] == expected.schema_version.split(".")[0]
    )


def check_default_value(default: Any, parameter_type: ParameterType, what: str) -> Any:
    """The default in the form the PipelineSpec keeps it; a clear error if it does not fit the type."""
    import json
    import math

    try:
        json.dumps(default, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{what} has a default that is not JSON-serialisable ({error})") from None
    if default is None:
        return None
    kind = parameter_type.kind
    value_type = parameter_type_of_value(default)
    if kind == ParameterKind.NUMBER_DOUBLE and isinstance(default, int) and not isinstance(default, bool):
        return float(default)
    if (
        kind == ParameterKind.NUMBER_INTEGER
        and isinstance(default, float)
        and math.isfinite(default)
        and default.is_integer()
    ):
        return int(default)
    if value_type is None or value_type.kind != kind:
        given = value_type or type(default).__name__
        raise ValueError(f"{what} is typed {parameter_type} but its default {default!r} is a {given}")
    return default


def resolved_annotations(function: Callable[..., Any]) -> dict[str, Any]:
    """The function's annotations as objects, string annotations (``from __future__ import annotations``) resolved.

    Names are looked up in the function's module, then where the user decorated it (a test or a function
    may define the NamedTuple a component returns).
    """
    try:
        return typing.get_type_hints(function, localns=caller_namespace(), include_extras=True)
    except Exception as error:
        name = getattr(function, "__name__", repr(function))
        raise PipelineDefinitionError(
            f"cannot resolve the type annotations of {name!r}: {error}",
            task=name,
            location=location_of_function(function),
        ) from None


class _Signature(NamedTuple):
    inputs: dict[str, InputSpec]
    outputs: dict[str, OutputSpec]
    return_names: list[str]
    """Outputs that come from the return value (the rest come from output-artifact parameters)."""
    embedded_inputs: list[str]
    """``EmbeddedInput[...]`` parameters: passed by the runtime, not part of the interface."""


def _fail(function: Callable[..., Any], message: str) -> PipelineDefinitionError:
    name = getattr(function, "__name__", repr(function))
    return PipelineDefinitionError(message, task=name, location=location_of_function(function))


def _output_spec_of_return_annotation(function: Callable[..., Any], annotation: Any, what: str) -> OutputSpec:
    annotation, _ = strip_optional(annotation)
    if is_artifact_class(annotation):
        return OutputSpec(artifact_type_of_class(annotation))
    if get_origin(annotation) is list:
        (item,) = get_args(annotation) or (None,)
        if is_artifact_class(item):
            return OutputSpec(artifact_type_of_class(item), is_artifact_list=True)
    parameter_type = parameter_type_of_annotation(annotation)
    if parameter_type is None or parameter_type.kind == ParameterKind.TASK_FINAL_STATUS:
        raise _fail(
            function,
            f"{what} of {function.__name__!r} has an unsupported type annotation {annotation!r}: use str, int, "
            "float, bool, list, dict (or List[...]/Dict[...]), an artifact class, or a NamedTuple of these",
        )
    return OutputSpec(parameter_type)


def _return_outputs(function: Callable[..., Any], annotation: Any) -> dict[str, OutputSpec]:
    import inspect

    if annotation is None or annotation is type(None) or annotation is inspect.Signature.empty:
        return {}
    if isinstance(annotation, type) and issubclass(annotation, tuple) and hasattr(annotation, "_fields"):
        try:
            field_annotations = typing.get_type_hints(annotation)
        except Exception:
            field_annotations = getattr(annotation, "__annotations__", {})
        return {
            name: _output_spec_of_return_annotation(function, field_annotations.get(name), f"output {name!r}")
            for name in annotation._fields
        }
    return {SINGLE_OUTPUT_NAME: _output_spec_of_return_annotation(function, annotation, "the return value")}


def read_signature(
    function: Callable[..., Any],
    *,
    allow_bare_artifacts: bool = True,
    allow_return: bool = True,
    allow_embedded: bool = False,
) -> _Signature:
    """Read a component's interface from its Python signature.

    Raises PipelineDefinitionError (naming the function, its file and line) for a missing or
    unsupported annotation and for a default that does not fit its type.
    """
    import inspect

    annotations = resolved_annotations(function)
    docstring = _docstring_of(function)
    inputs: dict[str, InputSpec] = {}
    outputs: dict[str, OutputSpec] = {}
    embedded_inputs: list[str] = []
    for name, parameter in inspect.signature(function).parameters.items():
        if parameter.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            raise _fail(
                function, f"{function.__name__!r} takes *{name}: components take named parameters only"
            )
        if name == SINGLE_OUTPUT_NAME:
            raise _fail(
                function,
                f'"{SINGLE_OUTPUT_NAME}" is reserved for the return value; rename parameter {name!r}',
            )
        if name not in annotations:
            raise _fail(function, f"parameter {name!r} of {function.__name__!r} has no type annotation")
        annotation = annotations[name]
        info = describe_annotation(annotation)
        has_default = parameter.default is not inspect.Parameter.empty
        description = docstring.arguments.get(name)
        if info.kind == "embedded_input":
            if not allow_embedded:
                raise _fail(
                    function,
                    f"parameter {name!r} of {function.__name__!r} is an EmbeddedInput, which only "
                    "@dsl.component functions take (with embedded_artifact_path=...)",
                )
            embedded_inputs.append(name)
            continue
        if info.kind in ("input_artifact", "output_artifact") or (
            info.kind in ("input_path", "output_path") and info.artifact_class is not None
        ):
            assert info.artifact_class is not None
            artifact_type = artifact_type_of_class(info.artifact_class)
            if info.kind in ("output_artifact", "output_path"):
                outputs[name] = OutputSpec(artifact_type, info.is_list, description)
                continue
            wrapped = get_origin(strip_optional(annotation)[0]) is typing.Annotated
            if not allow_bare_artifacts and info.kind == "input_artifact" and not wrapped:
                raise _fail(
                    function,
                    f"parameter {name!r} of container component {function.__name__!r} must wrap its "
                    f"artifact type in Input[...] or Output[...]",
                )
            if has_default and parameter.default is not None:
                raise _fail(
                    function,
                    f"input artifact {name!r} of {function.__name__!r} may only default to None, "
                    f"not {parameter.default!r}",
                )
            inputs[name] = InputSpec(
                artifact_type,
                optional=has_default,
                is_artifact_list=info.is_list,
                description=description,
            )
            continue
        if info.kind == "output_path":
            assert info.parameter_type is not None
            parameter_type = parameter_type_of_annotation(_path_parameter_annotation(annotation))
            outputs[name] = OutputSpec(parameter_type or ParameterType(ParameterKind(info.parameter_type)))
            outputs[name].description = description
            continue
        if info.kind == "input_path":
            assert info.parameter_type is not None
            parameter_type = ParameterType(ParameterKind(info.parameter_type))
        elif info.kind == "parameter":
            assert info.parameter_type is not None
            parameter_type = parameter_type_of_annotation(strip_optional(annotation)[0]) or ParameterType(
                ParameterKind(info.parameter_type)
            )
        else:
            raise _fail(
                function,
                f"parameter {name!r} of {function.__name__!r} has an unsupported type annotation "
                f"{annotation!r}: use str, int, float, bool, list, dict (or List[...]/Dict[...]), "
                "Input[...]/Output[...] of an artifact class, InputPath/OutputPath, or PipelineTaskFinalStatus",
            )
        if parameter_type.kind == ParameterKind.TASK_FINAL_STATUS:
            inputs[name] = InputSpec(parameter_type, optional=True, description=description)
            continue
        default = None
        if has_default:
            try:
                default = check_default_value(parameter.default, parameter_type, f"parameter {name!r}")
            except ValueError as error:
                raise _fail(function, f"{error} (in {function.__name__!r})") from None
        inputs[name] = InputSpec(
            parameter_type, optional=has_default, default=default, description=description
        )
    return_annotation = annotations.get("return", inspect.Signature.empty)
    return_names: list[str] = []
    if allow_return:
        for name, spec in _return_outputs(function, return_annotation).items():
            if name in outputs:
                raise _fail(function, f"output {name!r} of {function.__name__!r} is declared twice")
            spec.description = docstring.returns.get(name)
            outputs[name] = spec
            return_names.append(name)
    return _Signature(inputs, outputs, return_names, embedded_inputs)


def _path_parameter_annotation(annotation: Any) -> Any:
    """``OutputPath(List[int])`` keeps ``List[int]``: the item type is worth keeping."""
    annotation, _ = strip_optional(annotation)
    path_type = getattr(annotation, "type", None)
    return path_type if not isinstance(path_type, str) else None


def _docstring_of(function: Callable[..., Any]) -> Any:
    from sluice.dsl._docstrings import parse_docstring

    return parse_docstring(function)
