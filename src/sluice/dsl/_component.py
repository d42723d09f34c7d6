"""Components: a named interface (inputs, outputs) and an implementation (a container, an importer, a DAG)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sluice.dsl._errors import PipelineDefinitionError, caller_location
from sluice.dsl._graph import active_graph
from sluice.dsl._task import ContainerSettings, PipelineTask
from sluice.dsl._types import ArtifactType, InputSpec, OutputSpec

if TYPE_CHECKING:
    from sluice.dsl._channel import PipelineChannel
    from sluice.dsl._graph import PipelineGraph
    from sluice.dsl._pipeline_config import PipelineConfig

__all__ = [
    "BaseComponent",
    "CompiledImplementation",
    "ComponentSpec",
    "ContainerImplementation",
    "GraphImplementation",
    "Implementation",
    "ImporterImplementation",
]


class ContainerImplementation:
    """Runs a container: image, command and args (placeholders already rendered), environment."""

    def __init__(
        self,
        image: str,
        command: list[Any] | None = None,
        args: list[Any] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.image = image
        self.command: list[Any] = list(command or [])
        self.args: list[Any] = list(args or [])
        self.env: dict[str, str] = dict(env or {})

    def __repr__(self) -> str:
        return f"ContainerImplementation(image={self.image!r}, command={self.command!r}, args={self.args!r})"


class ImporterImplementation:
    """Registers an existing artifact (``dsl.importer``).

    ``metadata`` values may be input placeholders (``{{$.inputs.parameters['metadata']}}``).
    """

    def __init__(
        self,
        artifact_type: ArtifactType,
        reimport: bool = False,
        metadata: Any = None,
        download_to_workspace: bool = False,
    ) -> None:
        self.artifact_type = artifact_type
        self.reimport = reimport
        self.metadata = metadata
        self.download_to_workspace = download_to_workspace

    def __repr__(self) -> str:
        return f"ImporterImplementation({self.artifact_type}, reimport={self.reimport})"


class GraphImplementation:
    """A pipeline (``@dsl.pipeline``): the graph its function built and what it returns."""

    def __init__(
        self,
        graph: PipelineGraph,
        outputs: dict[str, PipelineChannel],
        pipeline_root: str | None = None,
        display_name: str | None = None,
        pipeline_config: PipelineConfig | None = None,
    ) -> None:
        self.graph = graph
        self.outputs = outputs
        self.pipeline_root = pipeline_root
        self.display_name = display_name
        self.pipeline_config = pipeline_config


class CompiledImplementation:
    """A pipeline loaded from compiled YAML: its ``sluice.ir`` PipelineSpec (and platform spec)."""

    def __init__(self, pipeline_spec: Any, platform_spec: Any = None) -> None:
        self.pipeline_spec = pipeline_spec
        self.platform_spec = platform_spec


Implementation = (
    ContainerImplementation | ImporterImplementation | GraphImplementation | CompiledImplementation
)


class ComponentSpec:
    """A component's name, interface and implementation."""

    def __init__(
        self,
        name: str,
        inputs: dict[str, InputSpec],
        outputs: dict[str, OutputSpec],
        implementation: Implementation,
        description: str | None = None,
    ) -> None:
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.implementation = implementation
        self.description = description

    def __repr__(self) -> str:
        return f"ComponentSpec({self.name!r}, inputs={list(self.inputs)}, outputs={list(self.outputs)})"


class BaseComponent:
    """A component: call it inside a pipeline (with keyword arguments) to add a task; outside one, after
    ``sluice.local.init(...)``, to run it now."""

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
        if active_graph() is None:
            from sluice.dsl._local_task import run_outside_pipeline

            return run_outside_pipeline(self, kwargs)
        return PipelineTask(self, kwargs)

    @property
    def required_inputs(self) -> list[str]:
        """Inputs a call must give."""
        return [name for name, spec in self.component_spec.inputs.items() if not spec.optional]

    def container_settings(self) -> ContainerSettings | None:
        """A fresh copy of the container a task of this component runs, or None when it runs none."""
        implementation = self.component_spec.implementation
        if isinstance(implementation, ContainerImplementation):
            return ContainerSettings(implementation.image, env=implementation.env)
        return None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
