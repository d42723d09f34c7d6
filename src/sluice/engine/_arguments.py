"""A pipeline's arguments checked against its inputs: the one check, for every way a run is created.

:func:`complete_parameters` types the given values as the pipeline declares them and fills in defaults, in
one of two modes:

- **strict** (the REST API, ``sluice.run()``): values are already typed, as JSON carries them; the only
  conversion is JSON's integral number for an integer input (``3.0`` is ``3``) and an integer for a float
  input. The text ``"[1, 2]"`` is not a list, and NaN or infinity is not a number (JSON has neither).
- **lenient** (``-p name=value`` on the command line): text is parsed by the input's type first (``3`` an
  integer, ``true`` a boolean, ``[1, 2]`` a list as JSON), then checked as in strict mode.

In both, ``None`` means "not given": the default applies, or the input is left out when optional. Each
problem is a :class:`~sluice.engine.PipelineInputError` naming the input (``input``) and the problem
(``problem``), so each caller words it its own way (the API as a 400 on ``runtime_config.parameters``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sluice.engine._errors import PipelineInputError
from sluice.engine._values import coerce_value, parse_cli_value, type_name
from sluice.ir import ParameterType, PipelineSpec

__all__ = ["complete_arguments", "complete_parameters", "parse_arguments", "typed_parameter"]


def _root_parameters(spec: PipelineSpec) -> dict[str, Any]:
    definitions = spec.root.input_definitions if spec.root else None
    return dict(definitions.parameters) if definitions else {}


def typed_parameter(value: Any, parameter_type: ParameterType | None, *, strict: bool) -> Any:
    """``value`` as an input of ``parameter_type`` wants it; ValueError saying why when it does not fit."""
    if not strict and isinstance(value, str):
        value = parse_cli_value(value, parameter_type)
    if strict and parameter_type in (ParameterType.LIST, ParameterType.STRUCT) and isinstance(value, str):
        raise ValueError(
            f"expected {type_name(parameter_type)}, got the text {value[:60]!r} (give the value itself)"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"expected {type_name(parameter_type)}, got {value} (not a finite number)")
    return coerce_value(value, parameter_type)


def complete_parameters(
    spec: PipelineSpec, given: Mapping[str, Any] | None, *, strict: bool = True
) -> dict[str, Any]:
    """The given parameter values typed as the pipeline declares them, plus defaults.

    Raises PipelineInputError for the first input at fault: one the pipeline does not have, a required one
    without a value, or a value of the wrong type. An optional input without a value or default is left out.
    """
    parameters = _root_parameters(spec)
    values = {name: value for name, value in (given or {}).items() if value is not None}
    unknown = sorted(set(values) - set(parameters))
    if unknown:
        known = ", ".join(sorted(parameters)) or "none"
        raise PipelineInputError(f"the pipeline has no input {unknown[0]!r} (inputs: {known})")
    complete: dict[str, Any] = {}
    for name, definition in parameters.items():
        if name in values:
            value, value_strict = values[name], strict
        elif definition.default_value is not None:
            value, value_strict = definition.default_value, True
        elif definition.is_optional:
            continue
        else:
            raise PipelineInputError(
                f"missing required pipeline input {name!r} ({_type_text(definition)})",
                input=name,
                problem=f"missing required input {name!r} ({type_name(definition.parameter_type)})",
            )
        try:
            complete[name] = typed_parameter(value, definition.parameter_type, strict=value_strict)
        except ValueError as error:
            raise PipelineInputError(
                f"pipeline input {name!r}: {error}", input=name, problem=str(error)
            ) from None
    return complete


def parse_arguments(spec: PipelineSpec, pairs: list[str]) -> dict[str, Any]:
    """``name=value`` strings (the CLI's ``-p``) typed by the pipeline's inputs, in lenient mode."""
    parameters = _root_parameters(spec)
    texts: dict[str, str] = {}
    for pair in pairs:
        name, separator, text = pair.partition("=")
        if not separator:
            raise PipelineInputError(f"-p {pair!r}: expected name=value")
        if name not in parameters:
            known = ", ".join(sorted(parameters)) or "none"
            raise PipelineInputError(f"-p {name}: the pipeline has no input {name!r} (inputs: {known})")
        texts[name] = text
    arguments: dict[str, Any] = {}
    for name, text in texts.items():
        try:
            arguments[name] = typed_parameter(text, parameters[name].parameter_type, strict=False)
        except ValueError as error:
            raise PipelineInputError(
                f"pipeline input {name!r}: {error}", input=name, problem=str(error)
            ) from None
    return arguments


def complete_arguments(spec: PipelineSpec, given: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`complete_parameters` (strict), for a run on this machine: a required input artifact cannot be given."""
    complete = complete_parameters(spec, given)
    definitions = spec.root.input_definitions if spec.root else None
    for name, definition in (definitions.artifacts if definitions else {}).items():
        if not definition.is_optional:
            raise PipelineInputError(f"pipeline input artifact {name!r} cannot be given on one machine yet")
    return complete


def _type_text(definition: Any) -> str:
    parameter_type = definition.parameter_type
    return str(parameter_type.value).lower() if isinstance(parameter_type, ParameterType) else "any"
