"""Reading a component's interface and implementation back from a compiled PipelineSpec."""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path

from sluice import ir
from sluice.dsl._internal import (
    ArtifactType,
    BaseComponent,
    CompiledImplementation,
    ComponentSpec,
    ContainerImplementation,
    InputSpec,
    OutputSpec,
    ParameterKind,
    ParameterType,
    PipelineDefinitionError,
    k8s_name,
)

__all__ = [
    "YamlComponent",
    "load_component_from_file",
    "load_component_from_text",
    "load_component_from_url",
    "save_component",
]

_DESCRIPTION_HEADING = "# Description: "


class YamlComponent(BaseComponent):
    """A component loaded from compiled YAML."""

    def __init__(self, component_spec: ComponentSpec, component_yaml: str) -> None:
        super().__init__(component_spec)
        self.component_yaml = component_yaml

    @property
    def pipeline_spec(self) -> ir.PipelineSpec:
        """The PipelineSpec the component was loaded from."""
        implementation = self.component_spec.implementation
        if isinstance(implementation, CompiledImplementation):
            spec = implementation.pipeline_spec
            assert isinstance(spec, ir.PipelineSpec)
            return spec
        return ir.parse_pipeline(self.component_yaml).spec


def _parameter_type(parameter_type: ir.ParameterType | None, where: str) -> ParameterType:
    if parameter_type is None or parameter_type.value not in ParameterKind.__members__:
        raise PipelineDefinitionError(f"{where}: parameter type {parameter_type} is not supported by Sluice")
    return ParameterType(ParameterKind(parameter_type.value))


def _artifact_type(schema: ir.ArtifactTypeSchema | None, where: str) -> ArtifactType:
    if schema is None or not schema.schema_title:
        raise PipelineDefinitionError(
            f"{where}: an artifact without a schemaTitle is not supported by Sluice"
        )
    return ArtifactType(schema.schema_title, schema.schema_version or "0.0.1")


def _interface(root: ir.ComponentSpec, source: str) -> tuple[dict[str, InputSpec], dict[str, OutputSpec]]:
    inputs: dict[str, InputSpec] = {}
    definitions = root.input_definitions or ir.ComponentInputsSpec()
    for name, parameter in definitions.parameters.items():
        parameter_type = _parameter_type(parameter.parameter_type, f"{source}: input {name!r}")
        # Older compilers wrote defaults without isOptional: a default makes an input optional.
        optional = bool(parameter.is_optional) or parameter.default_value is not None
        inputs[name] = InputSpec(
            parameter_type,
            optional=optional,
            default=parameter.default_value,
            description=parameter.description,
        )
    for name, artifact in definitions.artifacts.items():
        inputs[name] = InputSpec(
            _artifact_type(artifact.artifact_type, f"{source}: input {name!r}"),
            optional=bool(artifact.is_optional),
            is_artifact_list=bool(artifact.is_artifact_list),
            description=artifact.description,
        )
    outputs: dict[str, OutputSpec] = {}
    output_definitions = root.output_definitions or ir.ComponentOutputsSpec()
    for name, output_parameter in output_definitions.parameters.items():
        outputs[name] = OutputSpec(
            _parameter_type(output_parameter.parameter_type, f"{source}: output {name!r}"),
            description=output_parameter.description,
        )
    for name, output_artifact in output_definitions.artifacts.items():
        outputs[name] = OutputSpec(
            _artifact_type(output_artifact.artifact_type, f"{source}: output {name!r}"),
            is_artifact_list=bool(output_artifact.is_artifact_list),
            description=output_artifact.description,
        )
    return inputs, outputs


def _single_container(spec: ir.PipelineSpec) -> ir.ContainerSpec | None:
    """The container of a compiled single component: a root DAG of one task that runs a container."""
    root = spec.root
    if root is None or root.dag is None or len(root.dag.tasks) != 1:
        return None
    (task,) = root.dag.tasks.values()
    if task.component_ref is None or task.component_ref.name not in spec.components:
        return None
    component = spec.components[task.component_ref.name]
    if component.executor_label is None or spec.deployment_spec is None:
        return None
    executor = spec.deployment_spec.executors.get(component.executor_label)
    return executor.container if executor is not None else None


def _description(text: str) -> str | None:
    for line in text.splitlines()[:5]:
        if line.startswith(_DESCRIPTION_HEADING):
            return line[len(_DESCRIPTION_HEADING) :].strip() or None
    return None


def load_component_from_text(text: str, source: str = "<text>") -> YamlComponent:
    """A component from compiled PipelineSpec YAML (a single component, or a whole pipeline)."""
    if text.lstrip().startswith("name:") and "\nimplementation:" in text:
        raise PipelineDefinitionError(
            f"{source}: this is a KFP v1 component file, which Sluice does not load; recompile it with kfp 2"
        )
    try:
        document = ir.parse_pipeline(text, source)
    except ir.IRError as error:
        raise PipelineDefinitionError(f"cannot load component: {error}") from None
    spec = document.spec
    assert spec.root is not None
    name = k8s_name(
        spec.pipeline_info.name if spec.pipeline_info and spec.pipeline_info.name else "component"
    )
    inputs, outputs = _interface(spec.root, source)
    description = (spec.pipeline_info.description if spec.pipeline_info else None) or _description(text)
    container = _single_container(spec)
    implementation: ContainerImplementation | CompiledImplementation
    if container is not None:
        implementation = ContainerImplementation(
            image=container.image or "",
            command=list(container.command),
            args=list(container.args),
            env={variable.name or "": variable.value or "" for variable in container.env},
        )
    else:
        try:
            ir.check_references(spec)  # a pipeline used as a component: no dangling reference, no cycle
        except ir.IRError as error:
            raise PipelineDefinitionError(f"cannot load component: {error.with_source(source)}") from None
        implementation = CompiledImplementation(spec, document.platform_spec)
    component_spec = ComponentSpec(name, inputs, outputs, implementation, description)
    return YamlComponent(component_spec, text)


def load_component_from_file(file_path: str | os.PathLike[str]) -> YamlComponent:
    """A component from a compiled PipelineSpec YAML file."""
    path = Path(file_path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PipelineDefinitionError(f"cannot read component file {str(path)!r}: {error.strerror}") from None
    return load_component_from_text(text, str(path))


def load_component_from_url(url: str, auth: object = None) -> YamlComponent:
    """A component from compiled PipelineSpec YAML at ``url`` (``auth`` is accepted for kfp compatibility)."""
    with urllib.request.urlopen(url) as response:  # the user asked for this URL
        text = response.read().decode("utf-8")
    return load_component_from_text(text, url)


def save_component(component: BaseComponent, path: str | os.PathLike[str]) -> None:
    """Write ``component`` (or a pipeline) as compiled YAML, to be loaded with ``load_component_from_file``."""
    from sluice.compiler import Compiler

    Compiler().compile(component, path)
