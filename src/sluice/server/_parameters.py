"""A run's parameters checked against its pipeline's inputs when the run is created, so a wrong type is a
400 naming the input (as KFP's API server rejects it) rather than a run that fails at its first task."""

from __future__ import annotations

import json
import math
from typing import Any

from sluice.ir import INT64_MAX, INT64_MIN, ParameterType, PipelineSpec
from sluice.server._errors import invalid_argument

__all__ = ["complete_parameters"]

_TYPE_NAMES = {
    ParameterType.NUMBER_INTEGER: "an integer",
    ParameterType.NUMBER_DOUBLE: "a number",
    ParameterType.STRING: "a string",
    ParameterType.BOOLEAN: "a boolean",
    ParameterType.LIST: "a list",
    ParameterType.STRUCT: "an object",
}


def _describe(value: Any) -> str:
    text = json.dumps(value)
    return f"{type(value).__name__} {text[:60] + '...' if len(text) > 60 else text}"


def _coerce(value: Any, parameter_type: ParameterType | None) -> Any:
    if parameter_type is ParameterType.STRING and isinstance(value, str):
        return value
    if parameter_type is ParameterType.BOOLEAN and isinstance(value, bool):
        return value
    if parameter_type is ParameterType.NUMBER_INTEGER and not isinstance(value, bool):
        # JSON (and protobuf's Struct) may carry an integer as 3.0.
        integer = value if isinstance(value, int) else None
        if isinstance(value, float) and value.is_integer():
            integer = int(value)
        if integer is not None:
            if not INT64_MIN <= integer <= INT64_MAX:
                raise ValueError(f"expected a 64-bit integer (-2^63 to 2^63-1), got {_describe(value)}")
            return integer
    if (
        parameter_type is ParameterType.NUMBER_DOUBLE
        and isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    ):
        return float(value)
    if parameter_type is ParameterType.LIST and isinstance(value, list):
        return value
    if parameter_type is ParameterType.STRUCT and isinstance(value, dict):
        return value
    if parameter_type not in _TYPE_NAMES:
        return value
    raise ValueError(f"expected {_TYPE_NAMES[parameter_type]}, got {_describe(value)}")


def complete_parameters(spec: PipelineSpec, given: dict[str, Any] | None) -> dict[str, Any]:
    """The given parameters typed as the pipeline declares them, plus defaults; 400 on the first problem."""
    given = {name: value for name, value in (given or {}).items() if value is not None}
    definitions = spec.root.input_definitions if spec.root else None
    parameters = definitions.parameters if definitions else {}
    unknown = sorted(set(given) - set(parameters))
    if unknown:
        known = ", ".join(sorted(parameters)) or "none"
        raise invalid_argument(
            f"runtime_config.parameters: the pipeline has no input {unknown[0]!r} (its inputs: {known})"
        )
    complete: dict[str, Any] = {}
    for name, definition in parameters.items():
        if name in given:
            value = given[name]
        elif definition.default_value is not None:
            value = definition.default_value
        elif definition.is_optional:
            continue
        else:
            expected = _TYPE_NAMES.get(definition.parameter_type or ParameterType.STRING, "a value")
            raise invalid_argument(f"runtime_config.parameters: missing required input {name!r} ({expected})")
        try:
            complete[name] = _coerce(value, definition.parameter_type)
        except ValueError as error:
            raise invalid_argument(f"runtime_config.parameters[{name!r}]: {error}") from None
    return complete
