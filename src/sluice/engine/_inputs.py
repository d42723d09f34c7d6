"""Resolving a task's inputs inside its DAG: constants, the DAG's own inputs, upstream outputs, final statuses.

Values are typed by the consuming component's input definitions; an input with no value takes the
component's default, is left out when optional, and is otherwise an error naming the task and the input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sluice.engine._cel import CelError, select_parameter
from sluice.engine._errors import TaskError
from sluice.engine._graph import ArtifactValue, Node, Scope
from sluice.engine._placeholders import PlaceholderContext, PlaceholderError, resolve_string, uses_workspace
from sluice.engine._values import coerce_value
from sluice.ir import ComponentSpec, PipelineTaskSpec, TaskInputParameterSpec

__all__ = ["MISSING", "resolve_parameter", "resolve_task_inputs"]


class _Missing:
    def __repr__(self) -> str:
        return "<no value>"


MISSING: Any = _Missing()


def _constant(spec: TaskInputParameterSpec) -> Any:
    runtime_value = spec.runtime_value
    assert runtime_value is not None
    if runtime_value.constant_value is not None:
        old = runtime_value.constant_value
        for value in (old.int_value, old.double_value, old.string_value):
            if value is not None:
                return value
        return MISSING
    if runtime_value.runtime_parameter is not None:
        return MISSING  # a runtime parameter of an old-style spec: resolved by the caller's scope
    return runtime_value.constant


def _parameter_value(
    name: str,
    spec: TaskInputParameterSpec,
    scope: Scope,
    final_status_of: Callable[[Node], dict[str, Any]],
) -> tuple[Any, str]:
    """The raw value and, when there is none, why not."""
    if spec.component_input_parameter is not None:
        key = spec.component_input_parameter
        if key in scope.parameters:
            return scope.parameters[key], ""
        return MISSING, f"the enclosing DAG's input {key!r} has no value"
    if spec.task_output_parameter is not None:
        producer_name = spec.task_output_parameter.producer_task or ""
        key = spec.task_output_parameter.output_parameter_key or ""
        producer = scope.children.get(producer_name)
        if producer is None:
            return MISSING, f"upstream task {producer_name!r} does not exist"
        if key in producer.parameters:
            return producer.parameters[key], ""
        return MISSING, f"upstream task {producer_name!r} ({producer.state}) has no output {key!r}"
    if spec.task_final_status is not None:
        producer_name = spec.task_final_status.producer_task or ""
        producer = scope.children.get(producer_name)
        if producer is None:
            return MISSING, f"upstream task {producer_name!r} does not exist"
        return final_status_of(producer), ""
    if spec.runtime_value is not None:
        value = _constant(spec)
        if value is MISSING and spec.runtime_value.runtime_parameter is not None:
            key = spec.runtime_value.runtime_parameter
            return scope.parameters.get(key, MISSING), f"runtime parameter {key!r} has no value"
        return value, "" if value is not MISSING else "the constant is empty"
    return MISSING, "the input has no source"


def resolve_parameter(spec: TaskInputParameterSpec, scope: Scope) -> tuple[Any, str]:
    """A parameter reference outside a task's inputs (a kfp-kubernetes setting naming a secret by a pipeline
    parameter): its value and, when there is none (MISSING), why not."""

    def no_final_status(node: Node) -> dict[str, Any]:
        return {}

    return _parameter_value("", spec, scope, no_final_status)


def resolve_task_inputs(  # noqa: PLR0917  (one call site; the names read better than a bundle)
    task_path: str,
    task_spec: PipelineTaskSpec,
    component: ComponentSpec,
    scope: Scope,
    final_status_of: Callable[[Node], dict[str, Any]],
    placeholder_context: PlaceholderContext,
    bound_later: str | None = None,
) -> tuple[dict[str, Any], dict[str, list[ArtifactValue]]]:
    """The task's input parameters and artifacts, complete and typed; raises TaskError.

    ``bound_later`` names an input the caller supplies itself (a loop's item input).
    """
    definitions = component.input_definitions
    parameter_specs = definitions.parameters if definitions else {}
    artifact_specs = definitions.artifacts if definitions else {}
    task_inputs = task_spec.inputs
    parameters: dict[str, Any] = {}
    reasons: dict[str, str] = {}
    for name, spec in (task_inputs.parameters if task_inputs else {}).items():
        value, reason = _parameter_value(name, spec, scope, final_status_of)
        if value is MISSING:
            reasons[name] = reason
            continue
        if spec.parameter_expression_selector:
            try:
                value = select_parameter(spec.parameter_expression_selector, value)
            except CelError as error:
                raise TaskError(task_path, f"input parameter {name!r}: {error}") from None
        parameters[name] = value

    # f-strings: a constant may embed other inputs' values and pipeline placeholders.
    for name, value in list(parameters.items()):
        if isinstance(value, str) and ("{{$" in value or uses_workspace(value)):
            try:
                parameters[name] = resolve_string(
                    value, {"inputs": {"parameterValues": parameters}}, placeholder_context
                )
            except PlaceholderError as error:
                raise TaskError(task_path, f"input parameter {name!r}: {error}") from None

    for name, definition in parameter_specs.items():
        if name == bound_later:
            continue
        if name in parameters:
            try:
                parameters[name] = coerce_value(parameters[name], definition.parameter_type)
            except ValueError as error:
                raise TaskError(task_path, f"input parameter {name!r}: {error}") from None
            continue
        if definition.default_value is not None:
            parameters[name] = coerce_value(definition.default_value, definition.parameter_type)
        elif not definition.is_optional:
            why = reasons.get(name, "no argument was given for it")
            raise TaskError(task_path, f"required input parameter {name!r} has no value: {why}")

    artifacts: dict[str, list[ArtifactValue]] = {}
    for name, artifact_spec in (task_inputs.artifacts if task_inputs else {}).items():
        found: list[ArtifactValue] | None = None
        why = ""
        if artifact_spec.component_input_artifact is not None:
            key = artifact_spec.component_input_artifact
            found = scope.artifacts.get(key)
            why = f"the enclosing DAG's input artifact {key!r} has no value"
        elif artifact_spec.task_output_artifact is not None:
            producer_name = artifact_spec.task_output_artifact.producer_task or ""
            key = artifact_spec.task_output_artifact.output_artifact_key or ""
            producer = scope.children.get(producer_name)
            found = producer.artifacts.get(key) if producer is not None else None
            state = producer.state if producer is not None else "missing"
            why = f"upstream task {producer_name!r} ({state}) has no output artifact {key!r}"
        if found is None:
            reasons[name] = why
            continue
        artifacts[name] = found
    for name, artifact_definition in artifact_specs.items():
        if name not in artifacts and name != bound_later and not artifact_definition.is_optional:
            why = reasons.get(name, "no argument was given for it")
            raise TaskError(task_path, f"required input artifact {name!r} has no value: {why}")
    return parameters, artifacts
