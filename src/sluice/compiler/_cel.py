"""Conditions of ``dsl.If``/``Elif``/``Else`` as CEL expressions (a task's ``triggerPolicy.condition``).

``task.output > 0.5`` becomes ``inputs.parameter_values['pipelinechannel--task-Output'] > 0.5``. Operands of
different types are converted the way KFP does: to a string if either side is one, else to a boolean,
else integers to doubles.
"""

from __future__ import annotations

from typing import Any

from sluice.dsl._internal import (
    ConditionOperation,
    ParameterKind,
    ParameterType,
    PipelineChannel,
    PipelineDefinitionError,
    SourceLocation,
    parameter_type_of_value,
    pipeline_channel_input_name,
)

__all__ = ["condition_to_cel"]

_COMPARABLE = {
    ParameterKind.STRING,
    ParameterKind.BOOLEAN,
    ParameterKind.NUMBER_INTEGER,
    ParameterKind.NUMBER_DOUBLE,
}


def _kind_of(operand: Any, location: SourceLocation | None) -> ParameterKind:
    if isinstance(operand, PipelineChannel):
        if not isinstance(operand.type, ParameterType) or operand.type.kind not in _COMPARABLE:
            raise PipelineDefinitionError(
                f"a condition compares {operand.full_name!r} of type {operand.type}; conditions compare "
                "strings, numbers and booleans only",
                location=location,
            )
        return operand.type.kind
    value_type = parameter_type_of_value(operand)
    if value_type is None or value_type.kind not in _COMPARABLE:
        raise PipelineDefinitionError(
            f"a condition compares the constant {operand!r}; conditions compare strings, numbers and "
            "booleans only",
            location=location,
        )
    return value_type.kind


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return str(value)


def _operand(operand: Any, kind: ParameterKind, target: ParameterKind) -> str:
    if isinstance(operand, PipelineChannel):
        text = f"inputs.parameter_values['{pipeline_channel_input_name(operand.full_name)}']"
        if kind == ParameterKind.NUMBER_INTEGER:
            text = f"int({text})"
        if kind == target:
            return text
        if target == ParameterKind.STRING:
            return f"string({text})"
        if target == ParameterKind.BOOLEAN:
            return f"({text} != 0)"
        return f"double({text})"
    if kind == target:
        return _literal(operand)
    if target == ParameterKind.STRING:
        return f"'{_literal(operand)}'"
    if target == ParameterKind.BOOLEAN:
        return "true" if operand else "false"
    return f"double({_literal(operand)})"


def _single(operation: ConditionOperation, location: SourceLocation | None) -> str:
    left_kind = _kind_of(operation.left, location)
    right_kind = _kind_of(operation.right, location)
    kinds = {left_kind, right_kind}
    if len(kinds) == 1:
        target = left_kind
    elif ParameterKind.STRING in kinds:
        target = ParameterKind.STRING
    elif ParameterKind.BOOLEAN in kinds:
        target = ParameterKind.BOOLEAN
    else:
        target = ParameterKind.NUMBER_DOUBLE
    text = (
        f"{_operand(operation.left, left_kind, target)} {operation.operator} "
        f"{_operand(operation.right, right_kind, target)}"
    )
    return f"!({text})" if operation.negate else text


def condition_to_cel(conditions: list[ConditionOperation], location: SourceLocation | None = None) -> str:
    """The conjunction of ``conditions`` as one CEL expression."""
    return " && ".join(_single(operation, location) for operation in conditions)
