"""CEL, the expression language of KFP trigger conditions and parameter expression selectors.

Uses the ``common-expression-language`` package (a Rust CEL interpreter), which compares numbers across
types as KFP's Go backend does (``1 == 1.0``, ``2 > 0.5``); loaded on first use. Its Python package
imports a command-line shell (~150 ms) on import, so the compiled extension module is loaded directly
(~10 ms).
"""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import json
import os
from types import ModuleType
from typing import Any

__all__ = ["CelError", "evaluate_condition", "select_parameter"]


class CelError(ValueError):
    """A CEL expression did not compile or could not be evaluated."""


@functools.cache
def _cel() -> ModuleType:
    spec = importlib.util.find_spec("cel")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            for file_name in sorted(os.listdir(folder)):
                if file_name.startswith("cel.") and file_name.endswith((".so", ".pyd")):
                    path = os.path.join(folder, file_name)
                    loader = importlib.machinery.ExtensionFileLoader("cel.cel", path)
                    module_spec = importlib.util.spec_from_file_location("cel.cel", path, loader=loader)
                    if module_spec is None:
                        continue
                    module = importlib.util.module_from_spec(module_spec)
                    loader.exec_module(module)
                    return module
    import cel  # the slow but supported way in

    return cel


@functools.lru_cache(maxsize=512)
def _compiled(expression: str) -> Any:
    try:
        return _cel().compile(expression)
    except (ValueError, RuntimeError) as error:
        raise CelError(f"invalid CEL expression {expression!r}: {error}") from None


def evaluate_condition(expression: str, parameter_values: dict[str, Any]) -> bool:
    """Evaluate a trigger condition over a task's input parameters (``inputs.parameter_values[...]``)."""
    program = _compiled(expression)
    try:
        result = program.execute({"inputs": {"parameter_values": parameter_values}})
    except KeyError as error:
        raise CelError(f"condition {expression!r} reads input {error}, which has no value") from None
    except (ValueError, RuntimeError, TypeError) as error:
        raise CelError(f"condition {expression!r} failed: {error}") from None
    if not isinstance(result, bool):
        raise CelError(f"condition {expression!r} gave {result!r}, not a boolean")
    return result


def _parse_json(text: Any) -> Any:
    return json.loads(text) if isinstance(text, str) else text


def select_parameter(expression: str, value: Any) -> Any:
    """Apply a ``parameterExpressionSelector`` (e.g. ``parseJson(string_value)["a"]``) to ``value``.

    As in KFP's backend, the value is offered under its protobuf kind (``string_value``, ``number_value``,
    ``bool_value``, ``struct_value``, ``list_value``); ``string_value`` always holds a JSON text of
    non-string values, so ``parseJson(string_value)`` works on loop items of any kind.
    """
    program = _compiled(expression)
    variables: dict[str, Any] = {
        "string_value": value if isinstance(value, str) else json.dumps(value),
    }
    if isinstance(value, bool):
        variables["bool_value"] = value
    elif isinstance(value, int | float):
        variables["number_value"] = value
    elif isinstance(value, dict):
        variables["struct_value"] = value
    elif isinstance(value, list):
        variables["list_value"] = value
    context = _cel().Context(variables, {"parseJson": _parse_json})
    try:
        return program.execute(context)
    except (KeyError, ValueError, RuntimeError, TypeError) as error:
        raise CelError(f"selector {expression!r} failed on {value!r}: {error}") from None
