"""A component's interface (its inputs and outputs) as PipelineSpec input and output definitions."""

from __future__ import annotations

from typing import Any

from sluice import ir
from sluice.dsl._internal import ArtifactType, InputSpec, IOType, OutputSpec, ParameterKind, ParameterType

__all__ = ["artifact_type_schema", "component_spec_of_interface", "default_value", "parameter_type"]


def parameter_type(parameter: ParameterType) -> ir.ParameterType:
    return ir.ParameterType(parameter.kind.value)


def artifact_type_schema(artifact: ArtifactType) -> ir.ArtifactTypeSchema:
    return ir.ArtifactTypeSchema(schema_title=artifact.schema_title, schema_version=artifact.schema_version)


def default_value(kind: ParameterKind, value: Any) -> Any:
    """A default as the PipelineSpec keeps it: numbers of a float-typed input are floats."""
    if kind == ParameterKind.NUMBER_DOUBLE and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def input_definition(spec: InputSpec) -> ir.ComponentInputParameterSpec | ir.ComponentInputArtifactSpec:
    if isinstance(spec.type, ArtifactType):
        return ir.ComponentInputArtifactSpec(
            artifact_type=artifact_type_schema(spec.type),
            is_artifact_list=True if spec.is_artifact_list else None,
            is_optional=True if spec.optional else None,
            description=spec.description,
        )
    definition = ir.ComponentInputParameterSpec(
        parameter_type=parameter_type(spec.type), description=spec.description
    )
    if spec.type.kind == ParameterKind.TASK_FINAL_STATUS:
        definition.is_optional = True
    elif spec.optional:
        definition.is_optional = True
        if spec.default is not None:
            definition.default_value = default_value(spec.type.kind, spec.default)
    return definition


def output_definition(spec: OutputSpec) -> ir.ComponentOutputParameterSpec | ir.ComponentOutputArtifactSpec:
    if isinstance(spec.type, ArtifactType):
        return ir.ComponentOutputArtifactSpec(
            artifact_type=artifact_type_schema(spec.type),
            is_artifact_list=True if spec.is_artifact_list else None,
            description=spec.description,
        )
    return ir.ComponentOutputParameterSpec(
        parameter_type=parameter_type(spec.type), description=spec.description
    )


def add_input(
    inputs: ir.ComponentInputsSpec, name: str, type: IOType, is_artifact_list: bool = False
) -> None:
    """Add an input a sub-DAG receives a channel through (no default, not optional)."""
    if isinstance(type, ArtifactType):
        inputs.artifacts[name] = ir.ComponentInputArtifactSpec(
            artifact_type=artifact_type_schema(type), is_artifact_list=True if is_artifact_list else None
        )
    else:
        inputs.parameters[name] = ir.ComponentInputParameterSpec(parameter_type=parameter_type(type))


def add_output(
    outputs: ir.ComponentOutputsSpec, name: str, type: IOType, is_artifact_list: bool = False
) -> None:
    if isinstance(type, ArtifactType):
        outputs.artifacts[name] = ir.ComponentOutputArtifactSpec(
            artifact_type=artifact_type_schema(type), is_artifact_list=True if is_artifact_list else None
        )
    else:
        outputs.parameters[name] = ir.ComponentOutputParameterSpec(parameter_type=parameter_type(type))


def component_spec_of_interface(
    inputs: dict[str, InputSpec], outputs: dict[str, OutputSpec]
) -> ir.ComponentSpec:
    """The input and output definitions of a component (no implementation yet)."""
    component = ir.ComponentSpec()
    input_parameters: dict[str, ir.ComponentInputParameterSpec] = {}
    input_artifacts: dict[str, ir.ComponentInputArtifactSpec] = {}
    for name, input_spec in inputs.items():
        definition = input_definition(input_spec)
        if isinstance(definition, ir.ComponentInputArtifactSpec):
            input_artifacts[name] = definition
        else:
            input_parameters[name] = definition
    if input_parameters or input_artifacts:
        component.input_definitions = ir.ComponentInputsSpec(
            artifacts=input_artifacts, parameters=input_parameters
        )
    output_parameters: dict[str, ir.ComponentOutputParameterSpec] = {}
    output_artifacts: dict[str, ir.ComponentOutputArtifactSpec] = {}
    for name, output_spec in outputs.items():
        output = output_definition(output_spec)
        if isinstance(output, ir.ComponentOutputArtifactSpec):
            output_artifacts[name] = output
        else:
            output_parameters[name] = output
    if output_parameters or output_artifacts:
        component.output_definitions = ir.ComponentOutputsSpec(
            artifacts=output_artifacts, parameters=output_parameters
        )
    return component
