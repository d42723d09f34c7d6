"""The shape of a pipeline's graph: where each task sits, what it depends on, and what is not allowed.

Tasks and groups nest; a dependency between two nodes in different groups becomes a dependency between
their outermost groups that are siblings (KFP's DAGs only link siblings). Some dependencies cannot be
expressed that way: a task outside a ``dsl.If`` (or ``dsl.ExitHandler``) cannot depend on a task inside
it, and a task outside a ``dsl.ParallelFor`` cannot use a value from inside it except through
``dsl.Collected``. :func:`check_graph` raises those errors, and cycles, when a pipeline is defined.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from sluice.dsl._channel import PipelineChannel
from sluice.dsl._control_flow import Collected, ExitHandler, OneOfArtifact, OneOfParameter, _ConditionGroup
from sluice.dsl._errors import PipelineDefinitionError, SourceLocation
from sluice.dsl._graph import GroupKind, PipelineGraph, TasksGroup
from sluice.dsl._task import PipelineTask
from sluice.dsl._types import ParameterKind, ParameterType

__all__ = [
    "Dependency",
    "Node",
    "check_graph",
    "condition_channels",
    "consumed_channels",
    "dependencies_by_node",
    "node_path",
    "uncommon_ancestors",
]

Node = PipelineTask | TasksGroup


def node_path(node: Node) -> list[Node]:
    """The groups from the root down to ``node``, and ``node`` itself."""
    if isinstance(node, PipelineTask):
        parent = node.parent_group
        assert parent is not None
        return [*parent.ancestors(), node]
    return list(node.ancestors())


def uncommon_ancestors(first: Node, second: Node) -> tuple[list[Node], list[Node]]:
    """Each node's path below their deepest common group: ``([G2, G3, a], [G4, b])``."""
    first_path, second_path = node_path(first), node_path(second)
    common = 0
    for one, other in zip(first_path, second_path):
        if one is not other:
            break
        common += 1
    return first_path[common:], second_path[common:]


def condition_channels(task: PipelineTask) -> list[PipelineChannel]:
    """The channels compared by every condition around ``task``: a task inside ``dsl.If`` needs them."""
    found: list[PipelineChannel] = []
    group = task.parent_group
    chain: list[TasksGroup] = []
    while group is not None:
        chain.append(group)
        group = group.parent
    for group in reversed(chain):
        if isinstance(group, _ConditionGroup):
            found.extend(group.channels())
    return found


def consumed_channels(task: PipelineTask) -> list[PipelineChannel]:
    """Every channel ``task`` needs: its arguments' channels, then those of the conditions around it."""
    return [*task.channel_inputs, *condition_channels(task)]


def effective_producer(channel: PipelineChannel) -> Node | None:
    """The task or group the value comes from (a OneOf comes from its branches group); None for parameters."""
    producer = channel.producer
    if isinstance(producer, PipelineTask):
        return producer
    if isinstance(producer, TasksGroup) and producer.graph is not None:
        return producer
    return None


class Dependency(NamedTuple):
    """``downstream`` (a task or group) must run after ``upstream``, a sibling in the same DAG."""

    upstream: Node
    downstream: Node
    location: SourceLocation | None
    reason: str


def _fail(
    message: str, task: PipelineTask, location: SourceLocation | None = None
) -> PipelineDefinitionError:
    return PipelineDefinitionError(
        f"task {task.name!r}: {message}", task=task.name, location=location or task.location
    )


def _task_dependencies(task: PipelineTask) -> Iterator[tuple[Node, SourceLocation | None, str, str]]:
    """(upstream node, where, why, kind) for each thing ``task`` waits for.

    kind: "data" (an argument), "condition" (a condition around the task), "collected" (a fan-in,
    checked on its own) or "after".
    """
    own = {id(channel) for channel in task.channel_inputs}
    for channel in consumed_channels(task):
        producer = effective_producer(channel)
        if producer is None or producer is task:
            continue
        if isinstance(channel, Collected):
            yield producer, task.location, f"collects {channel.full_name!r}", "collected"
        elif id(channel) in own:
            yield producer, task.location, f"uses {channel.full_name!r}", "data"
        else:
            yield producer, task.location, f"its condition on {channel.full_name!r}", "condition"
    for upstream, location in task.dependencies:
        yield upstream, location, ".after()", "after"


def _check_collected(task: PipelineTask, collected: Collected) -> None:
    producer = collected.producer
    assert isinstance(producer, PipelineTask)
    upstream, _ = uncommon_ancestors(producer, task)
    groups = [node for node in upstream[:-1] if isinstance(node, TasksGroup)]
    if not any(group.kind == GroupKind.FOR_LOOP for group in groups):
        raise _fail(
            f"dsl.Collected({collected.output.full_name!r}) fans in the outputs of a task inside a "
            f"dsl.ParallelFor, for use outside that loop; {producer.name!r} is not in a loop that "
            f"{task.name!r} is outside of",
            task,
            collected.location,
        )
    outermost = groups[0]
    if outermost.kind != GroupKind.FOR_LOOP:
        raise _fail(
            f"dsl.Collected({collected.output.full_name!r}): the loop of {producer.name!r} is inside "
            f"{outermost.describe()} that {task.name!r} is not in, so the loop may not run at all",
            task,
            collected.location,
        )


def dependencies_by_node(graph: PipelineGraph) -> list[Dependency]:
    """Every dependency of the graph, lifted to siblings; raises on the ones KFP cannot express."""
    found: list[Dependency] = []
    for task in graph.tasks.values():
        if task.is_exit_task:
            continue
        for channel in task.channel_inputs:
            if isinstance(channel, Collected):
                _check_collected(task, channel)
        for upstream, location, reason, kind in _task_dependencies(task):
            upstream_path, downstream_path = uncommon_ancestors(upstream, task)
            if not downstream_path or not upstream_path:
                raise _fail(f"depends on {upstream.name!r}, which contains it ({reason})", task, location)
            between = [node for node in upstream_path[:-1] if isinstance(node, TasksGroup)]
            is_data = kind in ("data", "condition")
            if between and kind != "collected":
                outer = between[0]
                if outer.kind in (GroupKind.CONDITION, GroupKind.CONDITION_BRANCHES, GroupKind.EXIT_HANDLER):
                    how = "uses an output of" if is_data else "runs after"
                    raise _fail(
                        f"{how} {upstream.name!r}, which is inside {outer.describe()} that "
                        f"{task.name!r} is not in; a task outside such a block cannot depend on a task "
                        "inside it (use dsl.OneOf for outputs of dsl.If/Elif/Else branches)",
                        task,
                        location,
                    )
                if outer.kind == GroupKind.FOR_LOOP and is_data:
                    raise _fail(
                        f"uses an output of {upstream.name!r}, which is inside {outer.describe()} that "
                        f"{task.name!r} is not in; wrap it in dsl.Collected(...) to fan the loop's "
                        "outputs in as a list",
                        task,
                        location,
                    )
            found.append(Dependency(upstream_path[0], downstream_path[0], location, reason))
    return found


def _check_cycles(dependencies: list[Dependency]) -> None:
    upstream_of: dict[int, list[Dependency]] = {}
    for dependency in dependencies:
        upstream_of.setdefault(id(dependency.downstream), []).append(dependency)
    state: dict[int, int] = {}  # 1: being visited, 2: done
    trail: list[Dependency] = []

    def visit(node: Node) -> None:
        state[id(node)] = 1
        for dependency in upstream_of.get(id(node), []):
            trail.append(dependency)
            upstream = dependency.upstream
            if state.get(id(upstream)) == 1:
                start = next(i for i, step in enumerate(trail) if step.downstream is upstream)
                cycle = trail[start:]
                names = " -> ".join([step.downstream.name for step in cycle] + [cycle[0].downstream.name])
                after = next((step for step in cycle if step.reason == ".after()"), cycle[-1])
                task = after.downstream if isinstance(after.downstream, PipelineTask) else None
                raise PipelineDefinitionError(
                    f"the tasks depend on each other in a cycle ({names}, each waiting for the next); "
                    f"remove one of the dependencies (this one: {after.downstream.name!r} {after.reason} "
                    f"on {after.upstream.name!r})",
                    task=task.name if task else after.downstream.name,
                    location=after.location,
                )
            if state.get(id(upstream)) is None:
                visit(upstream)
            trail.pop()
        state[id(node)] = 2

    for dependency in dependencies:
        if state.get(id(dependency.downstream)) is None:
            visit(dependency.downstream)


def _check_final_status_inputs(graph: PipelineGraph, dependencies: list[Dependency]) -> None:
    for task in graph.tasks.values():
        final_status = [
            name
            for name, spec in task.component.component_spec.inputs.items()
            if isinstance(spec.type, ParameterType) and spec.type.kind == ParameterKind.TASK_FINAL_STATUS
        ]
        if not final_status or task.is_exit_task:
            continue
        if not task.ignores_upstream_failure:
            raise _fail(
                f"input {final_status[0]!r} is a PipelineTaskFinalStatus, which only an exit task "
                "(dsl.ExitHandler) or a task with .ignore_upstream_failure() receives",
                task,
            )
        upstream = {id(dep.upstream): dep.upstream for dep in dependencies if dep.downstream is task}
        if len(upstream) != 1:
            names = ", ".join(sorted(node.name for node in upstream.values())) or "none"
            raise _fail(
                f"uses .ignore_upstream_failure() with PipelineTaskFinalStatus input {final_status[0]!r}, so "
                f"it must depend on exactly one task in its own block; it depends on: {names}",
                task,
            )


def _check_names(graph: PipelineGraph) -> None:
    group_names = {group.name: group for group in graph.groups() if group is not graph.root}
    for task in graph.tasks.values():
        if task.name in group_names:
            raise _fail(
                f"its name is also the name of {group_names[task.name].describe()}; rename the component "
                "so that task and group names differ",
                task,
            )


def check_outputs(graph: PipelineGraph, outputs: dict[str, Any], where: SourceLocation | None) -> None:
    """A pipeline returns values produced at its top level, or fanned in (Collected) or chosen (OneOf)."""
    for output_name, channel in outputs.items():
        label = f"pipeline {graph.name!r} returns {output_name!r}"
        if isinstance(channel, OneOfParameter | OneOfArtifact):
            parent = channel.branches.parent
            if parent is not graph.root:
                raise PipelineDefinitionError(
                    f"{label} from a dsl.OneOf inside {parent.describe() if parent else 'a group'}; pipeline "
                    "outputs must come from the top level of the pipeline function",
                    location=channel.location,
                )
            continue
        if isinstance(channel, Collected):
            producer = channel.producer
            assert isinstance(producer, PipelineTask)
            groups = [node for node in node_path(producer)[1:-1] if isinstance(node, TasksGroup)]
            if not groups or groups[0].kind != GroupKind.FOR_LOOP:
                raise PipelineDefinitionError(
                    f"{label} as dsl.Collected({channel.output.full_name!r}), but {producer.name!r} is not "
                    "inside a dsl.ParallelFor at the top level of the pipeline",
                    task=producer.name,
                    location=channel.location,
                )
            continue
        producer = channel.producer
        if producer is None:
            raise PipelineDefinitionError(
                f"{label} as its own input {channel.name!r}; a pipeline output must be produced by a task",
                location=where,
            )
        if isinstance(producer, PipelineTask) and producer.parent_group is not graph.root:
            group = producer.parent_group
            assert group is not None
            raise PipelineDefinitionError(
                f"{label} from task {producer.name!r}, which is inside {group.describe()}; pipeline outputs "
                "must come from the top level of the pipeline function (use dsl.OneOf for dsl.If/Else "
                "branches, dsl.Collected for dsl.ParallelFor loops)",
                task=producer.name,
                location=producer.location,
            )


def check_graph(
    graph: PipelineGraph, outputs: dict[str, Any], where: SourceLocation | None
) -> list[Dependency]:
    """Raise the first thing in the graph that a pipeline cannot do; return its dependencies."""
    _check_names(graph)
    for group in graph.groups():
        if isinstance(group, ExitHandler) and group.parent is not graph.root:
            raise PipelineDefinitionError(
                "dsl.ExitHandler can only be used at the top level of a pipeline", location=group.location
            )
    dependencies = dependencies_by_node(graph)
    _check_cycles(dependencies)
    _check_final_status_inputs(graph, dependencies)
    check_outputs(graph, outputs, where)
    return dependencies
