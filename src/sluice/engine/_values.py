"""Parameter values: checking and normalising them against their declared ``parameterType``.

JSON (and KFP's protobuf ``Value``) has one number type, so ``7.0`` may arrive for an integer input:
integers are made ``int`` again wherever a type says so, and floats stay floats.
"""

from __future__ import annotations

import json
from typing import Any

from sluice.ir import INT64_MAX, INT64_MIN, ParameterType

__all__ = ["coerce_value", "parse_cli_value", "type_name"]

_TYPE_NAMES = {
    ParameterType.STRING: "a string",
    ParameterType.NUMBER_INTEGER: "an integer",
    ParameterType.NUMBER_DOUBLE: "a number",
    ParameterType.BOOLEAN: "a boolean",
    ParameterType.LIST: "a list",
    ParameterType.STRUCT: "an object",
    ParameterType.TASK_FINAL_STATUS: "a task final status",
}


def type_name(parameter_type: ParameterType | None) -> str:
    return _TYPE_NAMES.get(parameter_type, "any value") if parameter_type else "any value"


def coerce_value(value: Any, parameter_type: ParameterType | None) -> Any:
    """``value`` as ``parameter_type`` wants it; raises ValueError (with the reason) when it does not fit."""
    if parameter_type is None or parameter_type in (
        ParameterType.PARAMETER_TYPE_ENUM_UNSPECIFIED,
        ParameterType.TASK_FINAL_STATUS,
        ParameterType.TASK_CONFIG,
    ):
        return value
    if parameter_type is ParameterType.STRING:
        if isinstance(value, str):
            return value
    elif parameter_type is ParameterType.BOOLEAN:
        if isinstance(value, bool):
            return value
    elif parameter_type is ParameterType.NUMBER_INTEGER:
        integer = None
        if isinstance(value, int) and not isinstance(value, bool):
            integer = value
        elif isinstance(value, float) and value.is_integer():
            integer = int(value)
        if integer is not None:
            # The proto's NUMBER_INTEGER is an int64.
            if not INT64_MIN <= integer <= INT64_MAX:
                raise ValueError(f"expected a 64-bit integer (-2^63 to 2^63-1), got {_describe(value)}")
            return integer
    elif parameter_type is ParameterType.NUMBER_DOUBLE:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value) if isinstance(value, int) else value
    elif parameter_type in (ParameterType.LIST, ParameterType.STRUCT):
        wanted = list if parameter_type is ParameterType.LIST else dict
        if isinstance(value, wanted):
            return value
        if isinstance(value, str):  # JSON text of one
            parsed = _json_or_none(value)
            if isinstance(parsed, wanted):
                return parsed
    raise ValueError(f"expected {type_name(parameter_type)}, got {_describe(value)}")


def _describe(value: Any) -> str:
    text = json.dumps(value) if _jsonable(value) else repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{type(value).__name__} {text}"


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def parse_cli_value(text: str, parameter_type: ParameterType | None) -> Any:
    """A ``-p name=value`` argument typed by the pipeline's input definition."""
    if parameter_type is ParameterType.STRING:
        return text
    if parameter_type is ParameterType.BOOLEAN:
        lowered = text.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        raise ValueError(f"expected a boolean (true/false), got {text!r}")
    if parameter_type is ParameterType.NUMBER_INTEGER:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"expected an integer, got {text!r}") from None
    if parameter_type is ParameterType.NUMBER_DOUBLE:
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"expected a number, got {text!r}") from None
    if parameter_type in (ParameterType.LIST, ParameterType.STRUCT):
        try:
            parsed = json.loads(text)
        except ValueError:
            raise ValueError(f"expected {type_name(parameter_type)} as JSON, got {text!r}") from None
        return coerce_value(parsed, parameter_type)
    # Untyped: JSON if it parses, else the text itself.
    parsed = _json_or_none(text)
    return text if parsed is None else parsed
