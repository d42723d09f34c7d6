"""Components: a named interface (inputs, outputs) and an implementation (a container, an importer, a DAG)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sluice.dsl._errors import PipelineDefinitionError, caller_location
from sluice.dsl._task import ContainerSettings, PipelineTask
from sluice.dsl._types import ArtifactType, InputSpec, OutputSpec, ParameterKind, ParameterType

if TYPE_CHECKING:
    from sluice.dsl._channel import PipelineChannel
    from sluice.dsl._graph import PipelineGraph

__all__ = [
    "BaseComponent",
    "CompiledImplementation",
    "ComponentSpec",
    "ContainerImplementation",
    "GraphImplementation",
    "Implementation",
    "ImporterImplementation",
]


@dataclass
class ContainerImplementation:
    """Runs a container: image, command and args (placeholders already rendered), environment."""

    image: str
    command: list[Any] = field(default_factory=list)
    args: list[Any] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class ImporterImplementation:
    """Registers an existing artifact (``dsl.importer``)."""

    artifact_type: ArtifactType
    reimport: bool = False
    metadata: Any = None
    """Metadata for the artifact; values may be input placeholders (``{{$.inputs.parameters['metadata']}}``)."""


@dataclass
class GraphImplementation:
    """A pipeline (``@dsl.pipeline``): the graph its function built and what it returns."""

    graph: PipelineGraph
    outputs: dict[str, PipelineChannel]
    pipeline_root: str | None = None
    display_name: str | None = None


@dataclass
class CompiledImplementation:
    """A pipeline loaded from compiled YAML: its ``sluice.ir`` PipelineSpec (and platform spec)."""

    pipeline_spec: Any
    platform_spec: Any = None


Implementation = (
    ContainerImplementation | ImporterImplementation | GraphImplementation | CompiledImplementation
)


@dataclass
class ComponentSpec:
    """A component's name, interface and implementation."""

    name: str
    inputs: dict[str, InputSpec]
    outputs: dict[str, OutputSpec]
    implementation: Implementation
    description: str | None = None


class BaseComponent:
    """A component: call it inside a pipeline (with keyword arguments) to add a task."""

    def __init__(self, component_spec: ComponentSpec, function_name: str | None = None) -> None:
        self.component_spec = component_spec
        self.name = component_spec.name
        self.description = component_spec.description
        self.function_name = function_name or component_spec.name

    def __call__(self, *args: Any, **kwargs: Any) -> PipelineTask:
        if args:
            raise PipelineDefinitionError(
                f"{self.function_name}() takes keyword arguments only (got {len(args)} positional)",
                task=self.name,
                location=caller_location(),
            )
        return PipelineTask(self, kwargs)

    @property
    def required_inputs(self) -> list[str]:
        """Inputs a call must give."""
        return [name for name, spec in self.component_spec.inputs.items() if not spec.optional]

    def container_settings(self) -> ContainerSettings | None:
        """A fresh copy of the container a task of this component runs, or None when it runs none."""
        implementation = self.component_spec.implementation
        if isinstance(implementation, ContainerImplementation):
            return ContainerSettings(implementation.image, env=copy.deepcopy(implementation.env))
        return None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def final_status_inputs(spec: ComponentSpec) -> list[str]:
    return [
        name
        for name, input_spec in spec.inputs.items()
        if isinstance(input_spec.type, ParameterType)
        and input_spec.type.kind == ParameterKind.TASK_FINAL_STATUS
    ]
