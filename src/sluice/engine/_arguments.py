"""A pipeline's arguments: ``-p name=value`` text typed by the pipeline's inputs, and given values checked,
typed and completed with defaults before a run is created.

:func:`complete_parameters` is the one check of parameter values against a pipeline's inputs: ``sluice.run``
uses it, and so can the pipeline service when it creates a run. Each problem is a
:class:`~sluice.engine.PipelineInputError` naming the input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluice.engine._errors import PipelineInputError
from sluice.engine._values import coerce_value, parse_cli_value
from sluice.ir import ParameterType, PipelineSpec

__all__ = ["complete_arguments", "complete_parameters", "parse_arguments"]


def _root_parameters(spec: PipelineSpec) -> dict[str, Any]:
    definitions = spec.root.input_definitions if spec.root else None
    return dict(definitions.parameters) if definitions else {}


def parse_arguments(spec: PipelineSpec, pairs: list[str]) -> dict[str, Any]:
    """``name=value`` strings typed by the pipeline's input definitions (the CLI's ``-p``)."""
    parameters = _root_parameters(spec)
    arguments: dict[str, Any] = {}
    for pair in pairs:
        name, separator, text = pair.partition("=")
        if not separator:
            raise PipelineInputError(f"-p {pair!r}: expected name=value")
        if name not in parameters:
            known = ", ".join(sorted(parameters)) or "none"
            raise PipelineInputError(f"-p {name}: the pipeline has no input {name!r} (inputs: {known})")
        try:
            arguments[name] = parse_cli_value(text, parameters[name].parameter_type)
        except ValueError as error:
            raise PipelineInputError(f"pipeline input {name!r}: {error}") from None
    return arguments


def complete_parameters(spec: PipelineSpec, given: Mapping[str, Any]) -> dict[str, Any]:
    """The given parameter values typed as the pipeline declares them, plus defaults.

    Raises PipelineInputError for the first input at fault: one the pipeline does not have, a required one
    without a value, or a value of the wrong type. An optional input without a value or default is left out.
    """
    parameters = _root_parameters(spec)
    unknown = sorted(set(given) - set(parameters))
    if unknown:
        known = ", ".join(sorted(parameters)) or "none"
        raise PipelineInputError(f"the pipeline has no input {unknown[0]!r} (inputs: {known})")
    complete: dict[str, Any] = {}
    for name, definition in parameters.items():
        if name in given:
            value = given[name]
        elif definition.default_value is not None:
            value = definition.default_value
        elif definition.is_optional:
            continue
        else:
            raise PipelineInputError(f"missing required pipeline input {name!r} ({_type_text(definition)})")
        try:
            complete[name] = coerce_value(value, definition.parameter_type)
        except ValueError as error:
            raise PipelineInputError(f"pipeline input {name!r}: {error}") from None
    return complete


def complete_arguments(spec: PipelineSpec, given: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`complete_parameters`, for a run on this machine: a required input artifact cannot be given."""
    complete = complete_parameters(spec, given)
    definitions = spec.root.input_definitions if spec.root else None
    for name, definition in (definitions.artifacts if definitions else {}).items():
        if not definition.is_optional:
            raise PipelineInputError(f"pipeline input artifact {name!r} cannot be given on one machine yet")
    return complete


def _type_text(definition: Any) -> str:
    parameter_type = definition.parameter_type
    return str(parameter_type.value).lower() if isinstance(parameter_type, ParameterType) else "any"
