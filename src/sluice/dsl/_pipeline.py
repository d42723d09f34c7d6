"""``@dsl.pipeline``: a function whose component calls define a pipeline.

The function runs once, when it is decorated, with channels for its parameters; the graph it builds is
checked then (errors name the task and the line that created it) and compiled later. A pipeline is
itself a component: call it inside another pipeline like any component.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, overload

from sluice.dsl._channel import PipelineArtifactChannel, PipelineChannel, PipelineParameterChannel
from sluice.dsl._component import BaseComponent, ComponentSpec, GraphImplementation
from sluice.dsl._docstrings import parse_docstring
from sluice.dsl._errors import PipelineDefinitionError, caller_location, location_of_function
from sluice.dsl._graph import PipelineGraph, building_graph, k8s_name
from sluice.dsl._pipeline_config import PipelineConfig
from sluice.dsl._placeholders import WORKSPACE_MOUNT_PATH, WORKSPACE_PATH_PLACEHOLDER
from sluice.dsl._topology import Dependency, check_graph
from sluice.dsl._types import (
    SINGLE_OUTPUT_NAME,
    ArtifactType,
    ParameterType,
    read_signature,
    types_are_compatible,
)

__all__ = ["GraphComponent", "pipeline"]

_PIPELINE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,127}$")


def _returned_outputs(returned: Any, function: Callable[..., Any]) -> dict[str, Any]:
    location = location_of_function(function)
    if returned is None:
        return {}
    if isinstance(returned, PipelineChannel):
        return {SINGLE_OUTPUT_NAME: returned}
    if isinstance(returned, tuple) and hasattr(returned, "_asdict"):
        return dict(returned._asdict())
    if isinstance(returned, dict):
        return dict(returned)
    from sluice.dsl._task import PipelineTask

    hint = (
        " (return task.output or task.outputs[...], not the task)"
        if isinstance(returned, PipelineTask)
        else ""
    )
    raise PipelineDefinitionError(
        f"pipeline {function.__name__!r} returns {returned!r}; a pipeline returns task outputs: one, a NamedTuple "
        f"of them, or nothing{hint}",
        location=location,
    )


def _uses_workspace(value: Any) -> bool:
    if isinstance(value, str):
        return WORKSPACE_PATH_PLACEHOLDER in value or value.startswith(WORKSPACE_MOUNT_PATH)
    if isinstance(value, list):
        return any(_uses_workspace(item) for item in value)
    if isinstance(value, dict):
        return any(_uses_workspace(key) or _uses_workspace(item) for key, item in value.items())
    return False


def _check_workspace_placeholders(
    graph: PipelineGraph, pipeline_name: str, pipeline_config: PipelineConfig | None
) -> None:
    """A task given the workspace's path needs the pipeline to have a workspace (kfp checks it here too)."""
    if pipeline_config is not None and pipeline_config.workspace is not None:
        return
    for task in graph.tasks.values():
        for name, value in task.arguments.items():
            if _uses_workspace(value):
                raise PipelineDefinitionError(
                    f"task {task.name!r}: input {name!r} uses the workspace ({value!r}), but pipeline "
                    f"{pipeline_name!r} has none: add @dsl.pipeline(pipeline_config=dsl.PipelineConfig("
                    "workspace=dsl.WorkspaceConfig(size='1Gi')))",
                    task=task.name,
                    location=task.location,
                )


class GraphComponent(BaseComponent):
    """A pipeline made with ``@dsl.pipeline``; usable as a component in other pipelines."""

    def __init__(
        self,
        pipeline_func: Callable[..., Any],
        name: str | None = None,
        description: str | None = None,
        pipeline_root: str | None = None,
        display_name: str | None = None,
        *,
        pipeline_config: PipelineConfig | None = None,
    ) -> None:
        location = location_of_function(pipeline_func)
        signature = read_signature(pipeline_func)
        docstring = parse_docstring(pipeline_func)
        spec = ComponentSpec(
            name=k8s_name(name or pipeline_func.__name__),
            inputs=signature.inputs,
            outputs=signature.outputs,
            implementation=GraphImplementation(
                PipelineGraph(""),
                {},
                pipeline_root=pipeline_root,
                display_name=display_name,
                pipeline_config=pipeline_config,
            ),
            description=description or docstring.description,
        )
        if not _PIPELINE_NAME.match(spec.name):
            raise PipelineDefinitionError(
                f"pipeline name {spec.name!r} is not valid: use 1 to 128 lower-case letters, digits and '-', "
                "starting with a letter or digit (set it with @dsl.pipeline(name=...))",
                location=location,
            )
        super().__init__(spec, pipeline_func.__name__)
        self.pipeline_func = pipeline_func
        self.__wrapped__ = pipeline_func
        self.__doc__ = pipeline_func.__doc__

        graph = PipelineGraph(spec.name)
        with building_graph(graph):
            arguments: dict[str, PipelineChannel] = {}
            for input_name, input_spec in spec.inputs.items():
                if isinstance(input_spec.type, ArtifactType):
                    arguments[input_name] = PipelineArtifactChannel(
                        input_name, input_spec.type, None, input_spec.is_artifact_list
                    )
                else:
                    arguments[input_name] = PipelineParameterChannel(input_name, input_spec.type)
            returned = pipeline_func(**arguments)
        if not graph.tasks:
            raise PipelineDefinitionError(
                f"pipeline {spec.name!r} has no tasks: call at least one component in it", location=location
            )
        outputs = _returned_outputs(returned, pipeline_func)
        self._check_declared_outputs(outputs, location)
        _check_workspace_placeholders(graph, spec.name, pipeline_config)
        self.dependencies: list[Dependency] = check_graph(graph, outputs, location)
        implementation = spec.implementation
        assert isinstance(implementation, GraphImplementation)
        implementation.graph = graph
        implementation.outputs = outputs

    def _check_declared_outputs(self, outputs: dict[str, Any], location: Any) -> None:
        declared = self.component_spec.outputs
        for output_name, channel in outputs.items():
            if output_name not in declared:
                raise PipelineDefinitionError(
                    f"pipeline {self.name!r} returns {output_name!r}, which its return annotation does not "
                    "declare; annotate the pipeline function's return type",
                    location=location,
                )
            if not isinstance(channel, PipelineChannel):
                raise PipelineDefinitionError(
                    f"pipeline {self.name!r} returns {channel!r} as {output_name!r}; return task outputs",
                    location=location,
                )
            spec = declared[output_name]
            if not types_are_compatible(
                channel.type, channel.is_artifact_list, spec.type, spec.is_artifact_list
            ):
                given = f"{channel.type}{' list' if channel.is_artifact_list else ''}"
                expected = f"{spec.type}{' list' if spec.is_artifact_list else ''}"
                raise PipelineDefinitionError(
                    f"pipeline {self.name!r} returns {given} as {output_name!r}, which is declared {expected}",
                    location=location,
                )
        for output_name in declared:
            if output_name not in outputs:
                raise PipelineDefinitionError(
                    f"pipeline {self.name!r} declares output {output_name!r} but does not return it",
                    location=location,
                )

    @property
    def graph(self) -> PipelineGraph:
        implementation = self.component_spec.implementation
        assert isinstance(implementation, GraphImplementation)
        return implementation.graph

    @property
    def pipeline_parameters(self) -> dict[str, ParameterType | ArtifactType]:
        return {name: spec.type for name, spec in self.component_spec.inputs.items()}


@overload
def pipeline(func: Callable[..., Any]) -> GraphComponent: ...


@overload
def pipeline(
    func: None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    pipeline_root: str | None = None,
    display_name: str | None = None,
    pipeline_config: PipelineConfig | None = None,
) -> Callable[[Callable[..., Any]], GraphComponent]: ...


def pipeline(
    func: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    pipeline_root: str | None = None,
    display_name: str | None = None,
    pipeline_config: PipelineConfig | None = None,
) -> GraphComponent | Callable[[Callable[..., Any]], GraphComponent]:
    """Make a function a pipeline (bare ``@dsl.pipeline`` or ``@dsl.pipeline(...)``).

    Args:
        name: The pipeline's name (default: the function's name, as a lower-case-and-dashes name).
        description: What the pipeline does (default: the docstring's summary).
        pipeline_root: Where the pipeline's artifacts go unless a run says otherwise.
        display_name: A human-friendly name.
        pipeline_config: Settings of the whole run (``dsl.PipelineConfig``), e.g. a workspace folder its
            tasks share.
    """
    if pipeline_config is not None and not isinstance(pipeline_config, PipelineConfig):
        raise PipelineDefinitionError(
            f"@dsl.pipeline(pipeline_config=...) takes a dsl.PipelineConfig, not {pipeline_config!r}",
            location=caller_location(),
        )

    def decorate(function: Callable[..., Any]) -> GraphComponent:
        import inspect

        if not inspect.isfunction(function):
            raise PipelineDefinitionError(f"@dsl.pipeline decorates functions, not {function!r}")
        return GraphComponent(
            function, name, description, pipeline_root, display_name, pipeline_config=pipeline_config
        )

    if func is not None:
        return decorate(func)
    return decorate
