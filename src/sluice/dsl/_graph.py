"""The graph a pipeline function builds while it runs: its tasks, its nested groups, its channels.

``@dsl.pipeline`` runs the decorated function once, inside a :class:`PipelineGraph`; each component call
adds a task to the graph's innermost open group, and each ``with dsl.If(...)``/``dsl.ParallelFor(...)``/
``dsl.ExitHandler(...)`` opens a nested group. The compiler later turns the graph into a PipelineSpec.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sluice.dsl._errors import PipelineDefinitionError, SourceLocation, caller_location

if TYPE_CHECKING:
    from sluice.dsl._channel import PipelineChannel
    from sluice.dsl._task import PipelineTask

__all__ = [
    "GroupKind",
    "PipelineGraph",
    "TasksGroup",
    "active_graph",
    "building_graph",
    "k8s_name",
    "unique_name",
]


def k8s_name(name: str) -> str:
    """``name`` as a Kubernetes-style name, the way KFP names tasks: lower case, runs of other characters as '-'."""
    return re.sub("-+", "-", re.sub("[^-0-9a-z]+", "-", name.lower())).strip("-")


def unique_name(name: str, taken: Any, separator: str = "-") -> str:
    """``name``, or ``name-2``, ``name-3``... whichever is first not in ``taken``."""
    if name not in taken:
        return name
    index = 2
    while f"{name}{separator}{index}" in taken:
        index += 1
    return f"{name}{separator}{index}"


class GroupKind(enum.StrEnum):
    PIPELINE = "pipeline"
    CONDITION = "condition"
    CONDITION_BRANCHES = "condition-branches"
    FOR_LOOP = "for-loop"
    EXIT_HANDLER = "exit-handler"


class TasksGroup:
    """A group of tasks and nested groups: the pipeline itself, a condition, a loop or an exit handler.

    A group becomes a sub-DAG (``comp-condition-2``, ``comp-for-loop-3``...) in the compiled pipeline.
    """

    kind: GroupKind = GroupKind.PIPELINE

    def __init__(self, display_name: str | None = None) -> None:
        self.display_name = display_name
        self.name = ""
        self.tasks: list[PipelineTask] = []
        self.groups: list[TasksGroup] = []
        self.parent: TasksGroup | None = None
        self.location: SourceLocation | None = caller_location()
        self.graph: PipelineGraph | None = None

    def ancestors(self) -> list[TasksGroup]:
        """The groups from the pipeline's root down to this group, this group included."""
        chain: list[TasksGroup] = []
        group: TasksGroup | None = self
        while group is not None:
            chain.append(group)
            group = group.parent
        return chain[::-1]

    def walk(self) -> Iterator[TasksGroup]:
        """This group and every group inside it, parents before children."""
        yield self
        for group in self.groups:
            yield from group.walk()

    def describe(self) -> str:
        shown = f" ({self.display_name!r})" if self.display_name else ""
        return f"{_GROUP_DESCRIPTIONS[self.kind]} {self.name!r}{shown}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


_GROUP_DESCRIPTIONS = {
    GroupKind.PIPELINE: "pipeline",
    GroupKind.CONDITION: "dsl.If/Elif/Else group",
    GroupKind.CONDITION_BRANCHES: "dsl.If/Elif/Else branches",
    GroupKind.FOR_LOOP: "dsl.ParallelFor loop",
    GroupKind.EXIT_HANDLER: "dsl.ExitHandler group",
}


class PipelineGraph:
    """The tasks and groups one run of a pipeline function created."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.tasks: dict[str, PipelineTask] = {}
        self.root = TasksGroup()
        self.root.name = name
        self.root.graph = self
        self.stack: list[TasksGroup] = [self.root]
        self._group_count = 0
        self.channels: dict[str, PipelineChannel] = {}
        """Every channel created in this graph, by its string pattern: f-strings hold patterns."""

    @property
    def current_group(self) -> TasksGroup:
        return self.stack[-1]

    def next_group_id(self) -> int:
        self._group_count += 1
        return self._group_count

    def task_name_for(self, component_name: str) -> str:
        """The name the next task of ``component_name`` gets: unique in the pipeline."""
        return unique_name(k8s_name(component_name) or "task", self.tasks)

    def add_task(self, task: PipelineTask) -> None:
        self.tasks[task.name] = task
        task.parent_group = self.current_group
        self.current_group.tasks.append(task)

    def open_group(self, group: TasksGroup) -> None:
        group.parent = self.current_group
        group.graph = self
        self.current_group.groups.append(group)
        self.stack.append(group)

    def close_group(self) -> None:
        self.stack.pop()

    def last_group_here(self) -> TasksGroup | None:
        """The group opened last at the current nesting level (what a ``dsl.Elif`` follows)."""
        groups = self.current_group.groups
        return groups[-1] if groups else None

    def register_channel(self, channel: PipelineChannel) -> None:
        self.channels.setdefault(channel.pattern, channel)

    def groups(self) -> Iterator[TasksGroup]:
        return self.root.walk()


_building: list[PipelineGraph] = []


def active_graph() -> PipelineGraph | None:
    """The graph of the pipeline function running now, if any."""
    return _building[-1] if _building else None


class building_graph:
    """Context: make ``graph`` the graph component calls add tasks to."""

    def __init__(self, graph: PipelineGraph) -> None:
        self.graph = graph

    def __enter__(self) -> PipelineGraph:
        _building.append(self.graph)
        return self.graph

    def __exit__(self, *_: object) -> None:
        _building.pop()


def require_graph(what: str) -> PipelineGraph:
    """The active graph; a clear error when ``what`` is used outside a pipeline function."""
    graph = active_graph()
    if graph is None:
        raise PipelineDefinitionError(
            f"{what} can only be used inside a @dsl.pipeline function", location=caller_location()
        )
    return graph
