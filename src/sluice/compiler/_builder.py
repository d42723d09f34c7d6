"""Builds a ``sluice.ir.PipelineSpec`` from a pipeline's graph (or from a single component).

Each group of the graph becomes a component with a DAG (``comp-condition-2``...), each task a component
with an executor (``comp-train`` + ``exec-train``), in the order KFP's compiler adds them, so that the
``-2`` suffixes of clashing names come out the same.
"""

from __future__ import annotations

import json
from typing import Any

from sluice import ir
from sluice.compiler._cel import condition_to_cel
from sluice.compiler._executors import container_executor, importer_executor, with_input_placeholders
from sluice.compiler._flow import ChannelView, DataFlow, SurfacedOutput, view_of
from sluice.compiler._interface import add_input, add_output, component_spec_of_interface, default_value
from sluice.compiler._merge import merge_sub_pipeline
from sluice.compiler._platform import kubernetes_executors_of, kubernetes_platform_spec, platform_references
from sluice.dsl._internal import (
    ArtifactType,
    BaseComponent,
    CompiledImplementation,
    ContainerImplementation,
    ExitHandler,
    GraphComponent,
    GraphImplementation,
    ImporterImplementation,
    LoopArtifactArgument,
    Node,
    ParallelFor,
    ParameterKind,
    ParameterType,
    PipelineChannel,
    PipelineDefinitionError,
    PipelineTask,
    TasksGroup,
    _ConditionGroup,
    channels_in,
    dependencies_by_node,
    pipeline_channel_input_name,
    unique_name,
)

__all__ = ["CompileContext", "build_component_pipeline", "build_pipeline", "build_pipeline_document"]

SCHEMA_VERSION = "2.1.0"
_FINAL_STATUS = ParameterKind.TASK_FINAL_STATUS


def _sdk_version() -> str:
    from sluice import __version__

    return f"sluice-{__version__}"


class CompileContext:
    """State shared by one compilation: sub-pipelines are compiled once however often they are used."""

    def __init__(self) -> None:
        self._sub_pipelines: dict[int, ir.PipelineDocument] = {}

    def sub_pipeline(self, component: BaseComponent) -> ir.PipelineDocument:
        implementation = component.component_spec.implementation
        if isinstance(implementation, CompiledImplementation):
            spec = implementation.pipeline_spec
            assert isinstance(spec, ir.PipelineSpec)
            return ir.PipelineDocument(spec, implementation.platform_spec)
        key = id(component)
        if key not in self._sub_pipelines:
            assert isinstance(component, GraphComponent)
            self._sub_pipelines[key] = build_pipeline_document(component, self)
        return self._sub_pipelines[key]


def _selector(field: str) -> str:
    return f'parseJson(string_value)["{field}"]'


def _new_pipeline_spec(name: str) -> ir.PipelineSpec:
    return ir.PipelineSpec(
        pipeline_info=ir.PipelineInfo(name=name),
        sdk_version=_sdk_version(),
        schema_version=SCHEMA_VERSION,
        deployment_spec=ir.DeploymentSpec(),
    )


def _has_inputs(inputs: ir.TaskInputsSpec) -> bool:
    return bool(inputs.parameters or inputs.artifacts)


class _PipelineBuilder:
    def __init__(self, component: GraphComponent, context: CompileContext) -> None:
        implementation = component.component_spec.implementation
        assert isinstance(implementation, GraphImplementation)
        self.component = component
        self.implementation = implementation
        self.graph = implementation.graph
        self.context = context
        self.flow = DataFlow(self.graph, implementation.outputs).analyse()
        self.upstream: dict[int, set[str]] = {}
        for dependency in dependencies_by_node(self.graph):
            self.upstream.setdefault(id(dependency.downstream), set()).add(dependency.upstream.name)
        self.spec = _new_pipeline_spec(component.name)
        assert self.spec.deployment_spec is not None
        self.executors = self.spec.deployment_spec.executors
        self.group_components: dict[int, ir.ComponentSpec] = {}
        # Each container task's kfp-kubernetes settings, by executor label (the PlatformSpec's executors).
        self.kubernetes_executors: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------ the whole pipeline

    def build(self) -> ir.PipelineSpec:
        interface = self.component.component_spec
        root = component_spec_of_interface(interface.inputs, interface.outputs)
        root.dag = ir.DagSpec()
        self.spec.root = root
        self.group_components[id(self.graph.root)] = root
        for group in self.graph.groups():
            self._build_dag(group)
        for group in self.graph.root.groups:
            if isinstance(group, ExitHandler):
                self._build_exit_task(group)
        self._build_pipeline_outputs(root)
        info = self.spec.pipeline_info
        assert info is not None
        info.display_name = self.implementation.display_name
        info.description = interface.description
        self.spec.default_pipeline_root = self.implementation.pipeline_root
        return self.spec

    def _build_pipeline_outputs(self, root: ir.ComponentSpec) -> None:
        assert root.dag is not None
        outputs = ir.DagOutputsSpec()
        for name, view in self.flow.pipeline_output_views.items():
            assert view.producer is not None
            if view.is_artifact:
                outputs.artifacts[name] = ir.DagOutputArtifactSpec(
                    artifact_selectors=[
                        ir.ArtifactSelectorSpec(producer_subtask=view.producer, output_artifact_key=view.name)
                    ]
                )
            else:
                outputs.parameters[name] = ir.DagOutputParameterSpec(
                    value_from_parameter=ir.ParameterSelectorSpec(
                        producer_subtask=view.producer, output_parameter_key=view.name
                    )
                )
        if outputs.artifacts or outputs.parameters:
            root.dag.outputs = outputs

    # ------------------------------------------------------------ one DAG

    def _build_dag(self, group: TasksGroup) -> None:
        component = self.group_components[id(group)]
        assert component.dag is not None
        children: list[Node] = [*group.groups, *group.tasks]
        names_here = {child.name for child in children}
        at_root = group is self.graph.root
        parent_inputs = component.input_definitions or ir.ComponentInputsSpec()
        for child in children:
            if isinstance(child, PipelineTask):
                task_spec = self._task_spec(child, parent_inputs, names_here, at_root)
                child_component = self._task_component(child)
                self._add_platform_config(child, child_component, parent_inputs, names_here)
            else:
                child_component, task_spec = self._group_component_and_task(child, names_here, at_root)
            upstream = sorted(self.upstream.get(id(child), ()))
            task_spec.dependent_tasks = upstream
            if isinstance(child, PipelineTask) and child.ignores_upstream_failure:
                self._wait_for_upstream_even_if_failed(child, task_spec)
            name = unique_name(f"comp-{child.name}", self.spec.components)
            task_spec.component_ref = ir.ComponentRef(name=name)
            self.spec.components[name] = child_component
            component.dag.tasks[child.name] = task_spec
            if isinstance(child, TasksGroup):
                self.group_components[id(child)] = child_component

    @staticmethod
    def _wait_for_upstream_even_if_failed(task: PipelineTask, task_spec: ir.PipelineTaskSpec) -> None:
        task_spec.trigger_policy = ir.TriggerPolicy(strategy=ir.TriggerStrategy.ALL_UPSTREAM_TASKS_COMPLETED)
        for input_name, input_spec in task.component.component_spec.inputs.items():
            if isinstance(input_spec.type, ParameterType) and input_spec.type.kind == _FINAL_STATUS:
                inputs = task_spec.inputs or ir.TaskInputsSpec()
                inputs.parameters[input_name] = ir.TaskInputParameterSpec(
                    task_final_status=ir.TaskFinalStatusSpec(producer_task=task_spec.dependent_tasks[0])
                )
                task_spec.inputs = inputs

    # ------------------------------------------------------------ references

    @staticmethod
    def _parameter_reference(
        view: ChannelView, names_here: set[str], at_root: bool
    ) -> ir.TaskInputParameterSpec:
        if view.loop_argument is not None:
            return ir.TaskInputParameterSpec(
                component_input_parameter=pipeline_channel_input_name(view.loop_argument),
                parameter_expression_selector=_selector(view.field) if view.field else None,
            )
        if view.producer is not None and view.producer in names_here:
            return ir.TaskInputParameterSpec(
                task_output_parameter=ir.TaskOutputParameterSpec(
                    producer_task=view.producer, output_parameter_key=view.name
                )
            )
        if view.producer is None and at_root:
            return ir.TaskInputParameterSpec(component_input_parameter=view.full_name)
        return ir.TaskInputParameterSpec(component_input_parameter=view.input_name)

    @staticmethod
    def _artifact_reference(
        view: ChannelView, names_here: set[str], at_root: bool
    ) -> ir.TaskInputArtifactSpec:
        if view.loop_argument is not None:
            return ir.TaskInputArtifactSpec(
                component_input_artifact=pipeline_channel_input_name(view.loop_argument)
            )
        if view.producer is not None and view.producer in names_here:
            return ir.TaskInputArtifactSpec(
                task_output_artifact=ir.TaskOutputArtifactSpec(
                    producer_task=view.producer, output_artifact_key=view.name
                )
            )
        if view.producer is None and at_root:
            return ir.TaskInputArtifactSpec(component_input_artifact=view.full_name)
        return ir.TaskInputArtifactSpec(component_input_artifact=view.input_name)

    def _add_reference(
        self, inputs: ir.TaskInputsSpec, name: str, view: ChannelView, names_here: set[str], at_root: bool
    ) -> None:
        if view.is_artifact:
            inputs.artifacts[name] = self._artifact_reference(view, names_here, at_root)
        else:
            inputs.parameters[name] = self._parameter_reference(view, names_here, at_root)

    # ------------------------------------------------------------ tasks

    def _task_spec(
        self, task: PipelineTask, parent_inputs: ir.ComponentInputsSpec, names_here: set[str], at_root: bool
    ) -> ir.PipelineTaskSpec:
        task_spec = ir.PipelineTaskSpec(
            task_info=ir.PipelineTaskInfo(name=task.display_name or task.name),
            caching_options=ir.CachingOptions(
                enable_cache=True if task.enable_caching else None, cache_key=task.cache_key or None
            ),
        )
        if task.retry is not None:
            task_spec.retry_policy = ir.RetryPolicy(
                max_retry_count=task.retry.max_retry_count or None,
                backoff_duration=task.retry.backoff_duration,
                backoff_factor=task.retry.backoff_factor,
                backoff_max_duration=task.retry.backoff_max_duration,
            )
        inputs = ir.TaskInputsSpec()
        interface = task.component.component_spec.inputs
        arguments: dict[str, Any] = dict(task.arguments)
        if task.container is not None:
            # Pipeline values in resources and the image reach the task as inputs.
            for key, value in task.container.resources.items():
                if channels_in(value, task.graph):
                    arguments[key] = value
            if channels_in(task.container.image, task.graph):
                arguments["base_image"] = task.container.image
        for name, value in arguments.items():
            if isinstance(value, PipelineChannel):
                self._add_reference(inputs, name, self.flow.view(task, value), names_here, at_root)
                continue
            for channel in channels_in(value, task.graph):
                view = self.flow.view(task, channel)
                extra_name = pipeline_channel_input_name(channel.full_name)
                if extra_name in interface or extra_name in task.arguments:
                    raise PipelineDefinitionError(
                        f"task {task.name!r}: input name {extra_name!r} clashes with an input Sluice adds",
                        task=task.name,
                        location=task.location,
                    )
                inputs.parameters[extra_name] = self._parameter_reference(view, names_here, at_root)
            constant = with_input_placeholders(value, task)
            input_spec = interface.get(name)
            if input_spec is not None and isinstance(input_spec.type, ParameterType):
                constant = default_value(input_spec.type.kind, constant)
            inputs.parameters[name] = ir.TaskInputParameterSpec(
                runtime_value=ir.ValueOrRuntimeParameter(constant=constant)
            )
        if _has_inputs(inputs):
            task_spec.inputs = inputs
        return task_spec

    def _task_component(self, task: PipelineTask) -> ir.ComponentSpec:
        spec = task.component.component_spec
        implementation = spec.implementation
        if isinstance(implementation, GraphImplementation | CompiledImplementation):
            sub = self.context.sub_pipeline(task.component)
            return merge_sub_pipeline(
                self.spec,
                self.executors,
                sub.spec,
                platform=self.kubernetes_executors,
                sub_platform=kubernetes_executors_of(sub.platform_spec),
            )
        component = component_spec_of_interface(spec.inputs, spec.outputs)
        label = unique_name(f"exec-{task.name}", self.executors)
        component.executor_label = label
        if isinstance(implementation, ContainerImplementation):
            self.executors[label] = container_executor(task, implementation)
        elif isinstance(implementation, ImporterImplementation):
            self.executors[label] = importer_executor(task, implementation)
        return component

    def _add_platform_config(
        self,
        task: PipelineTask,
        component: ir.ComponentSpec,
        parent_inputs: ir.ComponentInputsSpec,
        names_here: set[str],
    ) -> None:
        """Record the task's kfp-kubernetes settings under its executor, references made valid in its DAG."""
        if not task.platform_config:
            return
        unknown = sorted(set(task.platform_config) - {"kubernetes"})
        if task.container is None or not component.executor_label or unknown:
            what = f"platform {unknown[0]!r} is not one Sluice knows" if unknown else "this is not one"
            raise PipelineDefinitionError(
                f"task {task.name!r}: platform settings (platform_config) apply to components only; {what}",
                task=task.name,
                location=task.location,
            )
        config = task.platform_config.get("kubernetes") or {}
        if config:
            self.kubernetes_executors[component.executor_label] = platform_references(
                config, parent_inputs, names_here, task
            )

    def _build_exit_task(self, handler: ExitHandler) -> None:
        task = handler.exit_task
        root = self.spec.root
        assert root is not None and root.dag is not None
        task_spec = self._task_spec(task, root.input_definitions or ir.ComponentInputsSpec(), set(), True)
        task_spec.dependent_tasks = [handler.name]
        task_spec.trigger_policy = ir.TriggerPolicy(strategy=ir.TriggerStrategy.ALL_UPSTREAM_TASKS_COMPLETED)
        for input_name, input_spec in task.component.component_spec.inputs.items():
            if isinstance(input_spec.type, ParameterType) and input_spec.type.kind == _FINAL_STATUS:
                inputs = task_spec.inputs or ir.TaskInputsSpec()
                inputs.parameters[input_name] = ir.TaskInputParameterSpec(
                    task_final_status=ir.TaskFinalStatusSpec(producer_task=handler.name)
                )
                task_spec.inputs = inputs
        component = self._task_component(task)
        self._add_platform_config(
            task, component, root.input_definitions or ir.ComponentInputsSpec(), set(root.dag.tasks)
        )
        name = unique_name(f"comp-{task.name}", self.spec.components)
        task_spec.component_ref = ir.ComponentRef(name=name)
        self.spec.components[name] = component
        root.dag.tasks[task.name] = task_spec

    # ------------------------------------------------------------ groups

    def _group_views(self, group: TasksGroup) -> list[ChannelView]:
        views = list(self.flow.group_inputs.get(group.name, {}).values())
        if isinstance(group, _ConditionGroup):
            views += [view_of(channel) for channel in group.channels()]
        elif isinstance(group, ParallelFor):
            if group.items_is_channel:
                items = group.loop_argument.items
                assert isinstance(items, PipelineChannel)
                views.append(view_of(items))
            views.append(view_of(group.loop_argument))
        unique: dict[str, ChannelView] = {}
        for view in views:
            unique.setdefault(view.input_name, view)
        return list(unique.values())

    def _group_component_and_task(
        self, group: TasksGroup, names_here: set[str], at_root: bool
    ) -> tuple[ir.ComponentSpec, ir.PipelineTaskSpec]:
        views = self._group_views(group)
        component = ir.ComponentSpec(dag=ir.DagSpec())
        component_inputs = ir.ComponentInputsSpec()
        for view in views:
            add_input(component_inputs, view.input_name, view.type, view.is_artifact_list)
        if component_inputs.parameters or component_inputs.artifacts:
            component.input_definitions = component_inputs
        outputs = self.flow.group_outputs.get(group.name, {})
        if outputs:
            component.output_definitions = ir.ComponentOutputsSpec()
            assert component.dag is not None
            component.dag.outputs = ir.DagOutputsSpec()
            for name, output in outputs.items():
                add_output(component.output_definitions, name, output.type, output.is_artifact_list)
                self._add_dag_output(component.dag.outputs, name, output)

        task_spec = ir.PipelineTaskSpec(task_info=ir.PipelineTaskInfo(name=group.display_name or group.name))
        inputs = ir.TaskInputsSpec()
        for view in views:
            self._add_reference(inputs, view.input_name, view, names_here, at_root)
        if isinstance(group, ParallelFor):
            self._iterate(group, task_spec, inputs)
        elif isinstance(group, _ConditionGroup):
            task_spec.trigger_policy = ir.TriggerPolicy(
                condition=condition_to_cel(group.conditions, group.location)
            )
        if _has_inputs(inputs):
            task_spec.inputs = inputs
        return component, task_spec

    @staticmethod
    def _add_dag_output(outputs: ir.DagOutputsSpec, name: str, output: SurfacedOutput) -> None:
        if isinstance(output.type, ArtifactType):
            outputs.artifacts[name] = ir.DagOutputArtifactSpec(
                artifact_selectors=[
                    ir.ArtifactSelectorSpec(producer_subtask=source.producer, output_artifact_key=source.key)
                    for source in output.sources
                ]
            )
        elif output.one_of:
            outputs.parameters[name] = ir.DagOutputParameterSpec(
                value_from_oneof=ir.ParameterSelectorsSpec(
                    parameter_selectors=[
                        ir.ParameterSelectorSpec(
                            producer_subtask=source.producer, output_parameter_key=source.key
                        )
                        for source in output.sources
                    ]
                )
            )
        else:
            (source,) = output.sources
            outputs.parameters[name] = ir.DagOutputParameterSpec(
                value_from_parameter=ir.ParameterSelectorSpec(
                    producer_subtask=source.producer, output_parameter_key=source.key
                )
            )

    @staticmethod
    def _iterate(loop: ParallelFor, task_spec: ir.PipelineTaskSpec, inputs: ir.TaskInputsSpec) -> None:
        item_input = pipeline_channel_input_name(loop.loop_argument.full_name)
        if loop.items_is_channel:
            items = loop.loop_argument.items
            assert isinstance(items, PipelineChannel)
            items_input = view_of(items).input_name
            if isinstance(loop.loop_argument, LoopArtifactArgument):
                task_spec.artifact_iterator = ir.ArtifactIteratorSpec(
                    items=ir.ArtifactIteratorItems(input_artifact=items_input), item_input=item_input
                )
            else:
                task_spec.parameter_iterator = ir.ParameterIteratorSpec(
                    items=ir.ParameterIteratorItems(input_parameter=items_input), item_input=item_input
                )
        else:
            task_spec.parameter_iterator = ir.ParameterIteratorSpec(
                items=ir.ParameterIteratorItems(raw=json.dumps(loop.loop_argument.items, sort_keys=True)),
                item_input=item_input,
            )
        # The item reaches the loop's DAG through the iterator, not as an input of the loop task.
        inputs.parameters.pop(item_input, None)
        inputs.artifacts.pop(item_input, None)
        if loop.parallelism > 0:
            task_spec.iterator_policy = ir.IteratorPolicy(parallelism_limit=loop.parallelism)


def build_pipeline(component: GraphComponent, context: CompileContext | None = None) -> ir.PipelineSpec:
    """The PipelineSpec of a ``@dsl.pipeline``."""
    return build_pipeline_document(component, context).spec


def build_pipeline_document(
    component: GraphComponent, context: CompileContext | None = None
) -> ir.PipelineDocument:
    """The PipelineSpec of a ``@dsl.pipeline`` and its PlatformSpec (None without platform settings)."""
    builder = _PipelineBuilder(component, context or CompileContext())
    spec = builder.build()
    return ir.PipelineDocument(spec, kubernetes_platform_spec(builder.kubernetes_executors))


def build_component_pipeline(component: BaseComponent) -> ir.PipelineSpec:
    """The PipelineSpec of a single component: a pipeline of one task, with the component's interface."""
    spec = component.component_spec
    implementation = spec.implementation
    if isinstance(implementation, CompiledImplementation):
        return implementation.pipeline_spec.copy()  # type: ignore[no-any-return]
    if isinstance(implementation, GraphImplementation):
        assert isinstance(component, GraphComponent)
        return build_pipeline(component)
    pipeline = _new_pipeline_spec(spec.name)
    root = component_spec_of_interface(spec.inputs, spec.outputs)
    task_inputs = ir.TaskInputsSpec()
    for name, input_spec in spec.inputs.items():
        if isinstance(input_spec.type, ArtifactType):
            task_inputs.artifacts[name] = ir.TaskInputArtifactSpec(component_input_artifact=name)
        else:
            task_inputs.parameters[name] = ir.TaskInputParameterSpec(component_input_parameter=name)
    task_name = spec.name
    outputs = ir.DagOutputsSpec()
    for name, output_spec in spec.outputs.items():
        if isinstance(output_spec.type, ArtifactType):
            outputs.artifacts[name] = ir.DagOutputArtifactSpec(
                artifact_selectors=[
                    ir.ArtifactSelectorSpec(producer_subtask=task_name, output_artifact_key=name)
                ]
            )
        else:
            outputs.parameters[name] = ir.DagOutputParameterSpec(
                value_from_parameter=ir.ParameterSelectorSpec(
                    producer_subtask=task_name, output_parameter_key=name
                )
            )
    root.dag = ir.DagSpec(
        tasks={
            task_name: ir.PipelineTaskSpec(
                task_info=ir.PipelineTaskInfo(name=task_name),
                inputs=task_inputs if _has_inputs(task_inputs) else None,
                caching_options=ir.CachingOptions(enable_cache=True),
                component_ref=ir.ComponentRef(name=f"comp-{task_name}"),
            )
        },
        outputs=outputs if outputs.parameters or outputs.artifacts else None,
    )
    pipeline.root = root
    component_spec = component_spec_of_interface(spec.inputs, spec.outputs)
    component_spec.executor_label = f"exec-{task_name}"
    pipeline.components[f"comp-{task_name}"] = component_spec
    assert pipeline.deployment_spec is not None
    if isinstance(implementation, ContainerImplementation):
        pipeline.deployment_spec.executors[f"exec-{task_name}"] = ir.ExecutorSpec(
            container=ir.ContainerSpec(
                image=implementation.image,
                command=list(implementation.command),
                args=list(implementation.args),
                env=[ir.EnvVar(name=key, value=value) for key, value in implementation.env.items()],
            )
        )
    elif isinstance(implementation, ImporterImplementation):
        pipeline.deployment_spec.executors[f"exec-{task_name}"] = ir.ExecutorSpec(
            importer=ir.ImporterSpec(
                artifact_uri=ir.ValueOrRuntimeParameter(runtime_parameter="uri"),
                type_schema=ir.ArtifactTypeSchema(
                    schema_title=implementation.artifact_type.schema_title,
                    schema_version=implementation.artifact_type.schema_version,
                ),
                reimport=True if implementation.reimport else None,
                metadata=implementation.metadata or None,
                download_to_workspace=True if implementation.download_to_workspace else None,
            )
        )
    return pipeline
