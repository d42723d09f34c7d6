"""DAGs: the root, sub-pipelines, condition branches and exit handlers, and each iteration of a loop.

Entering a DAG opens a :class:`~sluice.engine._graph.Scope`: one node per task of the DAG, the dependency
edges between them (a cycle fails the DAG), and the tasks with nothing to wait for queued to start. As
children end, their downstream tasks wait on one fewer; when the last child ends, the DAG takes its
outputs from its children and ends FAILED (a child failed), CANCELED or SUCCEEDED.
"""

from __future__ import annotations

from sluice.artifacts import UnsafePathError, check_path_part
from sluice.engine._context import RunContext
from sluice.engine._graph import Node, Scope, values_json
from sluice.engine._state import RunState
from sluice.ir import ComponentSpec, PipelineTaskSpec, find_cycle, task_upstream
from sluice.store import RuntimeState, TaskKind

__all__ = ["child_ended", "enter_dag", "start_root"]

_S = RuntimeState


def start_root(ctx: RunContext, state: RunState) -> None:
    """The run's root DAG, entered with the run's arguments (unless a resumed run had finished it)."""
    root_component = ctx.spec.root
    assert root_component is not None
    root = state.add_node(
        path="root",
        name="root",
        display_name=ctx.pipeline_name,
        kind=TaskKind.DAG,
        component_name="root",
        component=root_component,
        task_spec=None,
        parent=None,
    )
    state.root = root
    if root.is_terminal:
        return
    root.input_parameters = dict(ctx.arguments)
    enter_dag(ctx, state, root)


def enter_dag(ctx: RunContext, state: RunState, node: Node) -> None:
    """Run ``node``'s DAG component with the node's resolved inputs."""
    state.set_state(node, _S.RUNNING, inputs=values_json(node.input_parameters, node.input_artifacts))
    node.scope = Scope(node, node.component, node.input_parameters, node.input_artifacts)
    _open_scope(ctx, state, node.scope)


def child_ended(state: RunState, node: Node) -> None:
    """A task of a DAG ended: queue the downstream tasks it was the last to hold up; end the DAG with it."""
    scope = node.parent
    if scope is None:
        return  # the root
    for downstream in node.downstream:
        downstream.waiting_on -= 1
        if downstream.waiting_on == 0 and not downstream.is_terminal:
            state.to_start.append(downstream)
    scope.unfinished -= 1
    if scope.unfinished == 0:
        _complete_scope(state, scope)


def _open_scope(ctx: RunContext, state: RunState, scope: Scope) -> None:
    """Create the scope's child nodes and queue those with nothing to wait for."""
    dag = scope.component.dag
    assert dag is not None
    base = scope.owner.path
    for task_name, task_spec in dag.tasks.items():
        component_name = task_spec.component_ref.name if task_spec.component_ref else ""
        component = ctx.spec.component(component_name or "")
        display = (task_spec.task_info.name if task_spec.task_info else None) or task_name
        try:
            check_path_part(task_name, "task name")
        except UnsafePathError as error:
            state.fail(scope.owner, str(error))
            return
        node = state.add_node(
            path=f"{base}/{task_name}",
            name=task_name,
            display_name=display,
            kind=_kind_of(ctx, task_name, task_spec, component),
            component_name=component_name or "",
            component=component,
            task_spec=task_spec,
            parent=scope,
        )
        scope.children[task_name] = node
    for node in scope.children.values():
        assert node.task_spec is not None
        node.upstream = task_upstream(node.task_spec) & scope.children.keys()
        for name in node.upstream:
            scope.children[name].downstream.append(node)
    cycle = find_cycle({name: node.upstream for name, node in scope.children.items()})
    if cycle:
        state.fail(scope.owner, f"its tasks depend on each other in a cycle: {' -> '.join(cycle)}")
        return
    scope.unfinished = 0
    for node in scope.children.values():
        if node.is_terminal:
            continue
        scope.unfinished += 1
        node.waiting_on = sum(1 for name in node.upstream if not scope.children[name].is_terminal)
        if node.waiting_on == 0:
            state.to_start.append(node)
    if scope.unfinished == 0:
        _complete_scope(state, scope)


def _kind_of(
    ctx: RunContext, task_name: str, task_spec: PipelineTaskSpec, component: ComponentSpec
) -> TaskKind:
    if task_spec.parameter_iterator is not None or task_spec.artifact_iterator is not None:
        return TaskKind.LOOP
    if component.dag is not None:
        if task_name.startswith("condition-") and not task_name.startswith("condition-branches-"):
            return TaskKind.CONDITION
        if task_name.startswith("exit-handler-"):
            return TaskKind.EXIT_HANDLER
        return TaskKind.DAG
    if component.executor_label is not None:
        executor = ctx.spec.executor(component.executor_label)
        if executor.importer is not None:
            return TaskKind.IMPORTER
    return TaskKind.CONTAINER


def _complete_scope(state: RunState, scope: Scope) -> None:
    owner = scope.owner
    failed = [child for child in scope.children.values() if child.state is _S.FAILED]
    canceled = [child for child in scope.children.values() if child.state is _S.CANCELED]
    _collect_outputs(owner, scope)
    if failed:
        first = failed[0]
        owner.error = f"task {first.display_name!r} failed"
        if owner.parent is None or owner.kind is TaskKind.LOOP_ITERATION:
            owner.error = f"task {first.display_name!r} failed: {first.error or ''}".rstrip(": ")
        state.finish(owner, _S.FAILED, owner.error, error={"message": owner.error})
    elif canceled:
        state.finish(owner, _S.CANCELED)
    else:
        state.finish(owner, _S.SUCCEEDED)


def _collect_outputs(owner: Node, scope: Scope) -> None:
    """The DAG's outputs: each from the first of its selectors whose producer succeeded with that output."""
    dag = scope.component.dag
    outputs = dag.outputs if dag else None
    if outputs is None:
        return
    for key, spec in outputs.parameters.items():
        selectors = []
        if spec.value_from_parameter is not None:
            selectors = [spec.value_from_parameter]
        elif spec.value_from_oneof is not None:
            selectors = list(spec.value_from_oneof.parameter_selectors)
        for selector in selectors:
            producer = scope.children.get(selector.producer_subtask or "")
            output_key = selector.output_parameter_key or ""
            if producer is not None and producer.succeeded and output_key in producer.parameters:
                owner.parameters[key] = producer.parameters[output_key]
                break
    for key, artifact_spec in outputs.artifacts.items():
        for artifact_selector in artifact_spec.artifact_selectors:
            producer = scope.children.get(artifact_selector.producer_subtask or "")
            output_key = artifact_selector.output_artifact_key or ""
            if producer is not None and producer.succeeded and output_key in producer.artifacts:
                owner.artifacts[key] = producer.artifacts[output_key]
                break
