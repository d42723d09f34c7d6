"""The KFP executor contract: executor input in, a call of the component function, executor output out.

The executor input (``ExecutorInput`` in KFP's pipeline_spec.proto, as JSON) gives the input parameter
values, the input artifacts, and where each output goes. The function is called with typed values;
its outputs are written to the output parameter files and to the executor output JSON, which the
launcher reads back.

Deliberately free of ``inspect`` and ``dataclasses``: each costs milliseconds of import time, paid by
every task.
"""

from __future__ import annotations

import contextlib
import json
import os
import typing
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from sluice.dsl._annotations import (
    AnnotationInfo,
    ParameterTypeName,
    describe_annotation,
    is_artifact_class,
    parameter_type_of,
    strip_optional,
)
from sluice.dsl._artifacts import Artifact, artifact_class_for_schema_title, set_task_root, uri_to_local_path
from sluice.dsl._embedding import ASSET_DIR_GLOBAL as EMBEDDED_ASSET_DIR_GLOBAL
from sluice.dsl._embedding import ASSET_FILE_GLOBAL as EMBEDDED_ASSET_FILE_GLOBAL
from sluice.dsl._final_status import PipelineTaskFinalStatus
from sluice.runtime._errors import ExecutorInputError
from sluice.runtime._kfp_alias import install_kfp_aliases
from sluice.runtime._loader import load_component_function, unwrap_component

__all__ = ["execute", "execute_function"]

# The single output of a function returning one value is named like this in the component's spec.
SINGLE_OUTPUT_NAME = "Output"


class _Missing:
    """Marks an absent annotation or default (None is a legitimate default)."""

    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()

_PARAMETER_TYPE_DESCRIPTIONS: dict[str, str] = {
    "STRING": "a string",
    "NUMBER_INTEGER": "an integer",
    "NUMBER_DOUBLE": "a number",
    "BOOLEAN": "a boolean",
    "LIST": "a list",
    "STRUCT": "an object",
    "TASK_FINAL_STATUS": "a PipelineTaskFinalStatus object",
}


def execute(
    executor_input: Mapping[str, Any],
    function_to_execute: str,
    component_module_path: str | None = None,
) -> dict[str, Any]:
    """Load the component function and run it on ``executor_input``; return the executor output.

    Args:
        executor_input: The ``ExecutorInput`` message as parsed JSON.
        function_to_execute: The name of the component function in the module.
        component_module_path: The Python file defining the function. Without it, the file is looked up
            in ``kfp_config.ini`` in the working directory, as KFP does.

    Returns:
        The executor output, also written as JSON to ``executor_input['outputs']['outputFile']``.

    Raises:
        ExecutorInputError: The executor input or the function is invalid; raised before the call.
        Exception: Whatever the component function raises, unchanged.
    """
    # Before loading the module: its `from kfp import dsl` must find Sluice.
    install_kfp_aliases()
    function = load_component_function(function_to_execute, component_module_path)
    try:
        return execute_function(function, executor_input, function_name=function_to_execute)
    finally:
        _remove_embedded_asset(function)


def _remove_embedded_asset(function: Callable[..., Any]) -> None:
    """Delete the folder the component's module extracted its embedded asset to (the module was loaded for
    this call only). A forked task ends with ``os._exit``, which skips the module's own atexit cleanup."""
    folder = getattr(_signature_source(function), "__globals__", {}).get(EMBEDDED_ASSET_DIR_GLOBAL)
    if isinstance(folder, str) and folder and os.path.isdir(folder):
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


def execute_function(
    function: Callable[..., Any],
    executor_input: Mapping[str, Any],
    function_name: str | None = None,
) -> dict[str, Any]:
    """Run an already loaded component function on ``executor_input``; see :func:`execute`."""
    function = unwrap_component(function)  # type: ignore[assignment]
    name = function_name or str(getattr(function, "__name__", function))
    return _Execution(function, name, executor_input).run()


class _FunctionParameter(NamedTuple):
    name: str
    annotation: Any
    default: Any
    positional_only: bool


def _signature_source(function: Callable[..., Any]) -> Any:
    """The function whose signature counts: decorators made with functools.wraps point at it."""
    while hasattr(function, "__wrapped__"):
        function = function.__wrapped__
    return function


def _annotations_of(function: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(function, include_extras=True)
    except Exception:
        # One annotation names something unavailable at runtime; resolve the others one by one.
        resolved: dict[str, Any] = {}
        for name, annotation in getattr(function, "__annotations__", {}).items():
            if isinstance(annotation, str):
                with contextlib.suppress(Exception):
                    annotation = eval(annotation, getattr(function, "__globals__", {}))
            resolved[name] = annotation
        return resolved


def _parameters_of(function: Any, annotations: Mapping[str, Any]) -> list[_FunctionParameter]:
    code = function.__code__
    names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    positional_defaults = function.__defaults__ or ()
    first_positional_default = code.co_argcount - len(positional_defaults)
    keyword_defaults = function.__kwdefaults__ or {}
    parameters = []
    for index, name in enumerate(names):
        if index < code.co_argcount:
            default_index = index - first_positional_default
            default = positional_defaults[default_index] if default_index >= 0 else _MISSING
        else:
            default = keyword_defaults.get(name, _MISSING)
        parameters.append(
            _FunctionParameter(
                name=name,
                annotation=annotations.get(name, _MISSING),
                default=default,
                positional_only=index < code.co_posonlyargcount,
            )
        )
    return parameters


def _return_outputs(return_annotation: Any) -> list[tuple[str, Any]]:
    """The outputs a return annotation declares, as (output name, annotation) pairs."""
    if return_annotation is _MISSING or return_annotation is None or return_annotation is type(None):
        return []
    if (
        isinstance(return_annotation, type)
        and issubclass(return_annotation, tuple)
        and hasattr(return_annotation, "_fields")
    ):
        field_annotations = _annotations_of(return_annotation)
        return [(field, field_annotations.get(field, _MISSING)) for field in return_annotation._fields]
    return [(SINGLE_OUTPUT_NAME, return_annotation)]


def _coerce_input_parameter(value: Any, parameter_type: ParameterTypeName) -> Any:
    """``value`` as the Python type of ``parameter_type``, or _MISSING when it does not fit.

    Numbers may arrive either way round: protobuf's Struct keeps every number as a double.
    """
    if parameter_type == "STRING":
        return value if isinstance(value, str) else _MISSING
    if parameter_type == "BOOLEAN":
        return value if isinstance(value, bool) else _MISSING
    if parameter_type == "NUMBER_INTEGER":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return _MISSING
    if parameter_type == "NUMBER_DOUBLE":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        return _MISSING
    if parameter_type == "LIST":
        return value if isinstance(value, list) else _MISSING
    if parameter_type == "STRUCT":
        return value if isinstance(value, dict) else _MISSING
    return value


def _checked_output_parameter(value: Any, parameter_type: ParameterTypeName) -> Any:
    """``value`` as an output of ``parameter_type``, or _MISSING when it is of the wrong type."""
    if parameter_type == "NUMBER_INTEGER":
        # bool is an int subclass: KFP accepts it, and it is written as the integer it is.
        return int(value) if isinstance(value, int) else _MISSING
    if parameter_type == "NUMBER_DOUBLE":
        return float(value) if isinstance(value, int | float) else _MISSING
    return _coerce_input_parameter(value, parameter_type)


def _parse_output_parameter_file(text: str, parameter_type: ParameterTypeName) -> Any:
    """The value a component wrote to an ``OutputPath(<parameter type>)`` file."""
    if parameter_type == "STRING":
        return text
    if parameter_type == "NUMBER_INTEGER":
        return int(text.strip())
    if parameter_type == "NUMBER_DOUBLE":
        return float(text.strip())
    if parameter_type == "BOOLEAN":
        lowered = text.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise ValueError(f"{text!r} is not a boolean (true or false)")
    parsed = json.loads(text)
    expected_type = list if parameter_type == "LIST" else dict
    if not isinstance(parsed, expected_type):
        raise ValueError(f"{text[:100]!r} is not a JSON {'array' if expected_type is list else 'object'}")
    return parsed


def _serialize_output_parameter(value: Any) -> str:
    """The text of an output parameter file: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def _runtime_artifact(artifact: Artifact) -> dict[str, Any]:
    """``artifact`` as a ``RuntimeArtifact`` message of the executor output."""
    message: dict[str, Any] = {"name": artifact.name, "uri": artifact.uri, "metadata": artifact.metadata}
    if artifact.custom_path:
        message["custom_path"] = artifact.custom_path
    return message


def _describe_type(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or repr(annotation)


def _is_chief_process() -> bool:
    """False on the non-chief workers of a distributed job (they must not write the executor output)."""
    cluster_spec = os.environ.get("CLUSTER_SPEC")
    if not cluster_spec:
        return True
    task_type = json.loads(cluster_spec).get("task", {}).get("type")
    return task_type in ("workerpool0", "chief", "master")


class _Execution:
    """One run of a component function on one executor input."""

    def __init__(self, function: Callable[..., Any], function_name: str, executor_input: Mapping[str, Any]):
        self.function = function
        self.function_name = function_name
        if not isinstance(executor_input, Mapping):
            raise self._invalid(
                f"the executor input must be a JSON object, got {type(executor_input).__name__}"
            )
        inputs = self._mapping(executor_input, "inputs", "inputs")
        outputs = self._mapping(executor_input, "outputs", "outputs")
        self.parameter_values = self._mapping(inputs, "parameterValues", "inputs.parameterValues")
        self.input_artifacts = self._artifact_lists(inputs, "inputs")
        self.output_parameter_specs = self._mapping(outputs, "parameters", "outputs.parameters")
        self.output_file = outputs.get("outputFile")
        if not isinstance(self.output_file, str) or not self.output_file:
            raise self._invalid(
                "the executor input has no outputs.outputFile (where the executor output goes)"
            )
        self.output_runtime_artifacts = self._artifact_lists(outputs, "outputs")

        signature_source = _signature_source(function)
        if not hasattr(signature_source, "__code__"):
            raise self._invalid(f"{function!r} is not a Python function")
        annotations = _annotations_of(signature_source)
        self.parameters = _parameters_of(signature_source, annotations)
        self.return_outputs = _return_outputs(annotations.get("return", _MISSING))

        # Filled while running: the executor output's content.
        self.output_artifacts: dict[str, list[Artifact]] = {}
        self.output_parameter_values: dict[str, Any] = {}
        self.output_path_parameters: list[tuple[str, ParameterTypeName, str]] = []

    # -- reading the executor input ------------------------------------------------------------

    def _invalid(self, message: str) -> ExecutorInputError:
        return ExecutorInputError(f"function {self.function_name!r}: {message}")

    def _mapping(self, parent: Mapping[str, Any], key: str, field: str) -> Mapping[str, Any]:
        value = parent.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self._invalid(f"{field} must be a JSON object, got {type(value).__name__}")
        return value

    def _artifact_lists(
        self, section: Mapping[str, Any], section_name: str
    ) -> dict[str, list[Mapping[str, Any]]]:
        """``<section>.artifacts``: artifact name -> its list of RuntimeArtifact messages."""
        lists = {}
        for name, entry in self._mapping(section, "artifacts", f"{section_name}.artifacts").items():
            field = f"{section_name}.artifacts[{name!r}]"
            if not isinstance(entry, Mapping):
                raise self._invalid(f"{field} must be a JSON object with an 'artifacts' list")
            runtime_artifacts = entry.get("artifacts") or []
            if not isinstance(runtime_artifacts, list) or not all(
                isinstance(runtime_artifact, Mapping) for runtime_artifact in runtime_artifacts
            ):
                raise self._invalid(f"{field}.artifacts must be a list of JSON objects")
            lists[name] = runtime_artifacts
        return lists

    def _make_artifact(
        self, runtime_artifact: Mapping[str, Any], field: str, annotated_class: type[Artifact] | None
    ) -> Artifact:
        type_schema = runtime_artifact.get("type") or {}
        schema_title = type_schema.get("schemaTitle", "") if isinstance(type_schema, Mapping) else ""
        # The executor input's type wins, as in KFP; a subclass named by the annotation is kept.
        artifact_class = artifact_class_for_schema_title(schema_title) or annotated_class or Artifact
        if annotated_class is not None and issubclass(annotated_class, artifact_class):
            artifact_class = annotated_class
        name = runtime_artifact.get("name", "")
        uri = runtime_artifact.get("uri", "")
        metadata = runtime_artifact.get("metadata") or {}
        for key, value, expected in (("name", name, str), ("uri", uri, str), ("metadata", metadata, dict)):
            if not isinstance(value, expected):
                raise self._invalid(
                    f"{field}.{key} must be a {expected.__name__}, got {type(value).__name__}"
                )
        return artifact_class(name=name, uri=uri, metadata=dict(metadata))

    def _output_artifact_class(self, output_name: str) -> type[Artifact] | None:
        """The artifact class the function's annotations give the output ``output_name``."""
        for parameter in self.parameters:
            if parameter.name == output_name and parameter.annotation is not _MISSING:
                return describe_annotation(parameter.annotation).artifact_class
        for name, annotation in self.return_outputs:
            if name == output_name and annotation is not _MISSING:
                # A bare artifact class reads as an input; in a return annotation it is the output's class.
                info = describe_annotation(annotation)
                return info.artifact_class if info.kind == "input_artifact" and not info.is_list else None
        return None

    def _create_output_artifacts(self) -> None:
        """Create an artifact object for every output artifact of the executor input, as KFP does."""
        for name, runtime_artifacts in self.output_runtime_artifacts.items():
            annotated_class = self._output_artifact_class(name)
            self.output_artifacts[name] = [
                self._make_artifact(
                    runtime_artifact, f"outputs.artifacts[{name!r}].artifacts[{index}]", annotated_class
                )
                for index, runtime_artifact in enumerate(runtime_artifacts)
            ]

    def _create_output_directories(self) -> None:
        """Create the parent directory of every output path, so the function can just write there."""
        paths = [artifact.path for artifacts in self.output_artifacts.values() for artifact in artifacts]
        paths.extend(path for _, _, path in self.output_path_parameters)
        for path in paths:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)

    # -- binding arguments -----------------------------------------------------------------------

    def _absent(self, parameter: _FunctionParameter, info: AnnotationInfo, field: str) -> Any:
        """The argument for a parameter the executor input gives no value: its default, else None if Optional."""
        if parameter.default is not _MISSING:
            return parameter.default
        if info.is_optional:
            return None
        raise self._invalid(
            f"the executor input has no {field} for the required parameter {parameter.name!r}"
        )

    def _single_output_artifact(self, name: str) -> Artifact:
        artifacts = self.output_artifacts.get(name)
        if not artifacts:
            raise self._invalid(
                f"the executor input has no outputs.artifacts[{name!r}] (an artifact with the uri to write the "
                f"output {name!r} to)"
            )
        return artifacts[0]

    def _input_parameter(self, parameter: _FunctionParameter, info: AnnotationInfo) -> Any:
        field = f"inputs.parameterValues[{parameter.name!r}]"
        value = self.parameter_values.get(parameter.name)
        if value is None:
            return self._absent(parameter, info, field)
        assert info.parameter_type is not None
        if info.parameter_type == "TASK_FINAL_STATUS":
            return self._final_status(value, field)
        coerced = _coerce_input_parameter(value, info.parameter_type)
        if coerced is _MISSING:
            raise self._invalid(
                f"{field} must be {_PARAMETER_TYPE_DESCRIPTIONS[info.parameter_type]} for parameter "
                f"{parameter.name!r}: {_describe_type(parameter.annotation)}, got {type(value).__name__} "
                f"{value!r:.200}"
            )
        return coerced

    def _final_status(self, value: Any, field: str) -> PipelineTaskFinalStatus:
        if not isinstance(value, Mapping):
            raise self._invalid(
                f"{field} must be a PipelineTaskFinalStatus object, got {type(value).__name__}"
            )
        state = value.get("state")
        if not isinstance(state, str):
            raise self._invalid(f"{field}.state must be a string, got {type(state).__name__}")
        error = value.get("error") or {}
        error_code = error.get("code")
        if isinstance(error_code, float) and error_code.is_integer():
            error_code = int(error_code)
        # KFP's backends have spelled these two fields both ways.
        job_resource_name = value.get("pipelineJobResourceName", value.get("pipeline_job_resource_name"))
        task_name = value.get("pipelineTaskName", value.get("pipeline_task_name"))
        return PipelineTaskFinalStatus(
            state=state,
            pipeline_job_resource_name=str(job_resource_name or ""),
            pipeline_task_name=str(task_name or ""),
            error_code=error_code,
            error_message=error.get("message"),
        )

    def _input_artifact(self, parameter: _FunctionParameter, info: AnnotationInfo) -> Any:
        field = f"inputs.artifacts[{parameter.name!r}]"
        runtime_artifacts = self.input_artifacts.get(parameter.name)
        if info.is_list:
            if runtime_artifacts is None:
                # An empty collection may arrive as no entry at all.
                return parameter.default if parameter.default is not _MISSING else []
            return [
                self._make_artifact(runtime_artifact, f"{field}.artifacts[{index}]", info.artifact_class)
                for index, runtime_artifact in enumerate(runtime_artifacts)
            ]
        if not runtime_artifacts:
            return self._absent(parameter, info, field)
        return self._make_artifact(runtime_artifacts[0], f"{field}.artifacts[0]", info.artifact_class)

    def _input_path(self, parameter: _FunctionParameter, info: AnnotationInfo) -> Any:
        runtime_artifacts = self.input_artifacts.get(parameter.name)
        if runtime_artifacts:
            field = f"inputs.artifacts[{parameter.name!r}].artifacts[0]"
            return self._make_artifact(runtime_artifacts[0], field, info.artifact_class).path
        if info.parameter_type is not None and self.parameter_values.get(parameter.name) is not None:
            # A parameter value read through a path, as KFP v1 components do: write it to a file.
            import tempfile

            value = self.parameter_values[parameter.name]
            directory = tempfile.mkdtemp(prefix="sluice-input-")
            path = os.path.join(directory, parameter.name)
            with open(path, "w", encoding="utf-8") as value_file:
                value_file.write(_serialize_output_parameter(value))
            return path
        return self._absent(parameter, info, f"inputs.artifacts[{parameter.name!r}]")

    def _output_path(self, parameter: _FunctionParameter, info: AnnotationInfo) -> Any:
        if info.parameter_type is None:
            return self._single_output_artifact(parameter.name).path
        field = f"outputs.parameters[{parameter.name!r}].outputFile"
        spec = self.output_parameter_specs.get(parameter.name)
        path = spec.get("outputFile") if isinstance(spec, Mapping) else None
        if not isinstance(path, str) or not path:
            raise self._invalid(
                f"the executor input has no {field} for the output parameter {parameter.name!r}"
            )
        self.output_path_parameters.append((parameter.name, info.parameter_type, path))
        return path

    def _embedded_input(self, parameter: _FunctionParameter, info: AnnotationInfo) -> Any:
        """The file or folder compiled into the component (``embedded_artifact_path``), as an artifact."""
        namespace = getattr(self.function, "__globals__", {})
        path = namespace.get(EMBEDDED_ASSET_FILE_GLOBAL) or namespace.get(EMBEDDED_ASSET_DIR_GLOBAL)
        if not isinstance(path, str) or not path:
            raise self._invalid(
                f"parameter {parameter.name!r} is an EmbeddedInput, but the component's source embeds no "
                "file or folder (compile it with @dsl.component(embedded_artifact_path=...))"
            )
        assert info.artifact_class is not None
        artifact = info.artifact_class(name=parameter.name)
        artifact.path = path
        return artifact

    def _argument(self, parameter: _FunctionParameter) -> Any:
        info = (
            describe_annotation(parameter.annotation)
            if parameter.annotation is not _MISSING
            else AnnotationInfo("other")
        )
        if info.kind == "parameter":
            return self._input_parameter(parameter, info)
        if info.kind == "input_artifact":
            return self._input_artifact(parameter, info)
        if info.kind == "output_artifact":
            if info.is_list:
                # The same list object is written back, so artifacts the function appends are kept.
                return self.output_artifacts.setdefault(parameter.name, [])
            return self._single_output_artifact(parameter.name)
        if info.kind == "input_path":
            return self._input_path(parameter, info)
        if info.kind == "output_path":
            return self._output_path(parameter, info)
        if info.kind == "embedded_input":
            return self._embedded_input(parameter, info)
        # No annotation we understand: pass whatever the executor input holds under the name.
        if self.parameter_values.get(parameter.name) is not None:
            return self.parameter_values[parameter.name]
        if self.input_artifacts.get(parameter.name):
            field = f"inputs.artifacts[{parameter.name!r}].artifacts[0]"
            return self._make_artifact(self.input_artifacts[parameter.name][0], field, None)
        return self._absent(parameter, info, f"inputs.parameterValues[{parameter.name!r}]")

    def _check_return_outputs(self) -> None:
        """Reject, before the call, return annotations the executor input cannot receive."""
        for name, annotation in self.return_outputs:
            bare_annotation = strip_optional(annotation)[0]
            if is_artifact_class(bare_annotation):
                self._single_output_artifact(name)
            elif parameter_type_of(bare_annotation) is None or isinstance(bare_annotation, str):
                raise self._invalid(
                    f"the return annotation of output {name!r} is {_describe_type(annotation)}; outputs must be "
                    "str, int, float, bool, list, dict or an artifact class (several: a NamedTuple of them)"
                )

    # -- recording outputs -----------------------------------------------------------------------

    def _record_output(self, name: str, annotation: Any, value: Any) -> None:
        bare_annotation, is_optional = strip_optional(annotation)
        if value is None:
            if is_optional:
                return
            raise ValueError(
                f"function {self.function_name!r} returned None for its output {name!r}, "
                f"annotated {_describe_type(annotation)}"
            )
        if is_artifact_class(bare_annotation):
            if isinstance(value, Artifact):
                # A returned artifact replaces the one the executor input announced, as in KFP.
                value.name = value.name or self._single_output_artifact(name).name
                self.output_artifacts[name] = [value]
                return
            # Any other value is the artifact's content.
            path = self._single_output_artifact(name).path
            if isinstance(value, bytes):
                with open(path, "wb") as binary_file:
                    binary_file.write(value)
            else:
                with open(path, "w", encoding="utf-8") as text_file:
                    text_file.write(str(value))
            return
        parameter_type = parameter_type_of(bare_annotation)
        assert parameter_type is not None  # checked before the call
        checked = _checked_output_parameter(value, parameter_type)
        if checked is _MISSING:
            raise ValueError(
                f"function {self.function_name!r} returned a value of type {type(value).__name__} for its "
                f"output {name!r}; want {_describe_type(bare_annotation)}"
            )
        self.output_parameter_values[name] = checked
        spec = self.output_parameter_specs.get(name)
        output_file = spec.get("outputFile") if isinstance(spec, Mapping) else None
        if isinstance(output_file, str) and output_file:
            os.makedirs(os.path.dirname(output_file) or ".", exist_ok=True)
            with open(output_file, "w", encoding="utf-8") as parameter_file:
                parameter_file.write(_serialize_output_parameter(checked))

    def _record_return_value(self, result: Any) -> None:
        if not self.return_outputs:
            return
        if len(self.return_outputs) == 1 and self.return_outputs[0][0] == SINGLE_OUTPUT_NAME:
            self._record_output(SINGLE_OUTPUT_NAME, self.return_outputs[0][1], result)
            return
        field_names = [name for name, _ in self.return_outputs]
        if not isinstance(result, tuple) or len(result) != len(field_names):
            raise ValueError(
                f"function {self.function_name!r} must return {len(field_names)} values for the fields "
                f"({', '.join(field_names)}) of its NamedTuple return annotation, got {type(result).__name__} "
                f"{result!r:.200}"
            )
        fields = getattr(result, "_fields", ())
        values = (
            [getattr(result, name) for name in field_names]
            if set(field_names) <= set(fields)
            else list(result)
        )
        for (name, annotation), value in zip(self.return_outputs, values):
            self._record_output(name, annotation, value)

    def _record_output_path_parameters(self) -> None:
        """Read back what the function wrote to its ``OutputPath(<parameter type>)`` files."""
        for name, parameter_type, path in self.output_path_parameters:
            try:
                with open(path, encoding="utf-8") as parameter_file:
                    text = parameter_file.read()
            except FileNotFoundError:
                raise ValueError(
                    f"function {self.function_name!r} did not write its output parameter {name!r} to {path}"
                ) from None
            try:
                self.output_parameter_values[name] = _parse_output_parameter_file(text, parameter_type)
            except ValueError as error:
                raise ValueError(
                    f"function {self.function_name!r} wrote an invalid value for its output parameter {name!r} "
                    f"({_PARAMETER_TYPE_DESCRIPTIONS[parameter_type]}) to {path}: {error}"
                ) from None

    def _custom_paths(self) -> list[tuple[str, Artifact]]:
        return [
            (name, artifact)
            for name, artifacts in self.output_artifacts.items()
            for artifact in artifacts
            if artifact.custom_path
        ]

    def _explain_custom_path_error(self, error: OSError) -> None:
        """Name the output whose ``set_path()`` location could not be written, under the traceback."""
        failed = [str(path) for path in (error.filename, error.filename2) if path is not None]
        for name, artifact in self._custom_paths():
            custom = os.path.abspath(artifact.custom_path)
            if any(
                os.path.abspath(path) == custom or os.path.abspath(path).startswith(custom + os.sep)
                for path in failed
            ):
                error.add_note(
                    f"function {self.function_name!r}: output artifact {name!r}: the path set with "
                    f"set_path({artifact.custom_path!r}) cannot be written ({error.strerror or error})"
                )
                return

    def _publish_custom_paths(self) -> None:
        """Copy what was written at a ``set_path()`` location to the artifact's URI, where the next tasks
        read it (as KFP's launcher uploads it from there)."""
        custom_paths = self._custom_paths()
        if not custom_paths:
            return
        import shutil

        for name, artifact in custom_paths:
            source = artifact.custom_path
            target = uri_to_local_path(artifact.uri)
            if not os.path.lexists(source):
                raise ValueError(
                    f"function {self.function_name!r}: output artifact {name!r}: nothing was written to "
                    f"{source!r}, the path set with set_path()"
                )
            if os.path.realpath(source) == os.path.realpath(target):
                continue
            try:
                os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
                if os.path.isdir(source):
                    shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
                else:
                    shutil.copy2(source, target)
            except OSError as error:
                raise ValueError(
                    f"function {self.function_name!r}: output artifact {name!r}: cannot copy it from its "
                    f"set_path() location {source!r} to {target!r}: {error.strerror or error}"
                ) from None

    def _executor_output(self) -> dict[str, Any]:
        executor_output: dict[str, Any] = {}
        if self.output_parameter_values:
            executor_output["parameterValues"] = self.output_parameter_values
        if self.output_artifacts:
            executor_output["artifacts"] = {
                name: {"artifacts": [_runtime_artifact(artifact) for artifact in artifacts]}
                for name, artifacts in self.output_artifacts.items()
            }
        return executor_output

    def run(self) -> dict[str, Any]:
        assert self.output_file is not None
        set_task_root(os.path.dirname(self.output_file))
        self._create_output_artifacts()
        self._check_return_outputs()
        positional_arguments = []
        keyword_arguments = {}
        for parameter in self.parameters:
            argument = self._argument(parameter)
            if parameter.positional_only:
                positional_arguments.append(argument)
            else:
                keyword_arguments[parameter.name] = argument
        self._create_output_directories()

        try:
            result = self.function(*positional_arguments, **keyword_arguments)
        except OSError as error:
            self._explain_custom_path_error(error)
            raise

        self._record_return_value(result)
        self._record_output_path_parameters()
        self._publish_custom_paths()
        executor_output = self._executor_output()
        if _is_chief_process():
            os.makedirs(os.path.dirname(self.output_file) or ".", exist_ok=True)
            with open(self.output_file, "w", encoding="utf-8") as output_file:
                json.dump(executor_output, output_file)
        return executor_output
