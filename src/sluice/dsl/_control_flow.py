"""Control flow in a pipeline: ``dsl.If``/``Elif``/``Else`` (and the older ``Condition``), ``ParallelFor``
with its loop items, ``Collected`` (fan-in), ``OneOf`` (one output of exclusive branches) and
``ExitHandler``.

Each ``with`` block opens a group in the pipeline's graph; groups are numbered in the order they are
opened (``condition-1``, ``for-loop-2``...), as KFP numbers them, so compiled pipelines match.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

from sluice.dsl._channel import (
    ConditionOperation,
    PipelineArtifactChannel,
    PipelineChannel,
    PipelineParameterChannel,
    pipeline_channel_input_name,
)
from sluice.dsl._errors import PipelineDefinitionError, caller_location
from sluice.dsl._graph import GroupKind, PipelineGraph, TasksGroup, require_graph
from sluice.dsl._task import PipelineTask
from sluice.dsl._types import ArtifactType, ParameterKind, ParameterType, parameter_type_of_value

__all__ = [
    "Collected",
    "Condition",
    "ConditionBranches",
    "Elif",
    "Else",
    "ExitHandler",
    "If",
    "LoopArgument",
    "LoopArgumentVariable",
    "LoopArtifactArgument",
    "OneOf",
    "OneOfArtifact",
    "OneOfParameter",
    "ParallelFor",
    "loop_group_of",
]

_IDENTIFIER = re.compile(r"^[a-zA-Z_][0-9a-zA-Z_]*$")


def _error(message: str) -> PipelineDefinitionError:
    return PipelineDefinitionError(message, location=caller_location())


# ---------------------------------------------------------------- conditions


class ConditionBranches(TasksGroup):
    """Wraps an ``If`` and the ``Elif``/``Else`` blocks that follow it (``comp-condition-branches-N``)."""

    kind = GroupKind.CONDITION_BRANCHES

    def __init__(self) -> None:
        super().__init__()
        self._oneof_count = 0

    def next_oneof_id(self) -> int:
        self._oneof_count += 1
        return self._oneof_count


class _ConditionGroup(TasksGroup):
    kind = GroupKind.CONDITION

    def __init__(self, conditions: list[ConditionOperation], name: str | None) -> None:
        super().__init__(name)
        self.conditions = conditions
        self.negated_upstream_conditions: list[ConditionOperation] = []

    def channels(self) -> list[PipelineChannel]:
        """The channels the condition compares."""
        return [channel for condition in self.conditions for channel in condition.channels()]

    def __enter__(self) -> _ConditionGroup:
        graph = require_graph(f"dsl.{type(self).__name__}")
        self._before_open(graph)
        self.name = f"condition-{graph.next_group_id()}"
        graph.open_group(self)
        return self

    def _before_open(self, graph: PipelineGraph) -> None:
        pass

    def __exit__(self, *_: object) -> None:
        assert self.graph is not None
        self.graph.close_group()


def _check_condition(condition: Any, what: str) -> ConditionOperation:
    if isinstance(condition, bool):
        raise _error(
            f"{what} got the constant {condition}: the comparison was decided in Python. At least one side "
            "must be a pipeline parameter or a task output"
        )
    if isinstance(condition, PipelineChannel):
        raise _error(
            f"{what} got {condition.full_name!r} itself: compare it, e.g. dsl.If({condition.name} == True)"
        )
    if not isinstance(condition, ConditionOperation):
        raise _error(
            f"{what} expects a comparison of pipeline values (like task.output > 0.5), not {condition!r}"
        )
    return condition


class If(_ConditionGroup):
    """Run the tasks in the block only when ``condition`` holds, e.g. ``dsl.If(task.output == 'heads')``."""

    def __init__(self, condition: Any, name: str | None = None) -> None:
        condition = _check_condition(condition, "dsl.If")
        super().__init__([condition], name)
        self.negated_upstream_conditions = [condition.negated()]


class Condition(If):
    """Deprecated spelling of ``dsl.If``."""

    def __enter__(self) -> _ConditionGroup:
        entered = super().__enter__()
        warnings.warn(
            "dsl.Condition is deprecated. Please use dsl.If instead.", DeprecationWarning, stacklevel=2
        )
        return entered


def _wrap_in_branches(graph: PipelineGraph) -> None:
    """Put the ``If`` just closed (and what follows it) in a ``condition-branches`` group, once."""
    last = graph.last_group_here()
    if isinstance(last, Elif):
        return  # the branches group is already open
    assert last is not None
    branches = ConditionBranches()
    branches.location = last.location
    # The wrapper takes the If's number and the If a new one: numbers follow the order of the code.
    branches.name = f"condition-branches-{last.name.rsplit('-', 1)[1]}"
    last.name = f"condition-{graph.next_group_id()}"
    graph.current_group.groups.pop()
    graph.open_group(branches)
    branches.groups.append(last)
    last.parent = branches


def _preceding_condition(graph: PipelineGraph, what: str) -> _ConditionGroup:
    previous = graph.last_group_here()
    if isinstance(previous, ConditionBranches):
        raise _error(f"dsl.{what} cannot follow a dsl.Else: it must follow a dsl.If or dsl.Elif")
    if not isinstance(previous, If | Elif):
        raise _error(f"dsl.{what} must follow a dsl.If or dsl.Elif block")
    return previous


class Elif(_ConditionGroup):
    """Run the block when the preceding ``If``/``Elif`` conditions failed and ``condition`` holds."""

    def __init__(self, condition: Any, name: str | None = None) -> None:
        condition = _check_condition(condition, "dsl.Elif")
        previous = _preceding_condition(require_graph("dsl.Elif"), "Elif")
        upstream = list(previous.negated_upstream_conditions)
        super().__init__([*upstream, condition], name)
        self.negated_upstream_conditions = [*upstream, condition.negated()]

    def _before_open(self, graph: PipelineGraph) -> None:
        _wrap_in_branches(graph)


class Else(_ConditionGroup):
    """Run the block when none of the preceding ``If``/``Elif`` conditions held."""

    def __init__(self, name: str | None = None) -> None:
        previous = _preceding_condition(require_graph("dsl.Else"), "Else")
        super().__init__(list(previous.negated_upstream_conditions), name)

    def _before_open(self, graph: PipelineGraph) -> None:
        _wrap_in_branches(graph)

    def __exit__(self, *_: object) -> None:
        assert self.graph is not None
        self.graph.close_group()
        self.graph.close_group()  # the branches group ends with the Else


# ---------------------------------------------------------------- loops


class LoopArgument(PipelineParameterChannel):
    """One item of a ``dsl.ParallelFor`` over parameters; ``item.field`` reads a field of a dict item."""

    def __init__(
        self,
        name: str,
        type: ParameterType,
        items: list[Any] | PipelineParameterChannel,
        producer: Any = None,
    ) -> None:
        self.items = items
        self.loop: ParallelFor | None = None
        self._fields: dict[str, LoopArgumentVariable] = {}
        super().__init__(name, type, producer)

    @property
    def is_raw_items_argument(self) -> bool:
        """The loop iterates over a list written in the pipeline (not a channel)."""
        return not isinstance(self.items, PipelineChannel)

    def field(self, name: str) -> LoopArgumentVariable:
        if name not in self._fields:
            self._fields[name] = LoopArgumentVariable(self, name)
        return self._fields[name]

    def __getattr__(self, name: str) -> LoopArgumentVariable:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.field(name)


class LoopArtifactArgument(PipelineArtifactChannel):
    """One artifact of a ``dsl.ParallelFor`` over a list of artifacts."""

    def __init__(
        self, name: str, type: ArtifactType, items: PipelineArtifactChannel, producer: Any = None
    ) -> None:
        self.items = items
        self.loop: ParallelFor | None = None
        super().__init__(name, type, producer, is_artifact_list=False)

    @property
    def is_raw_items_argument(self) -> bool:
        return False


class LoopArgumentVariable(PipelineParameterChannel):
    """A field of a loop item that is a dict: ``item.learning_rate``."""

    def __init__(self, loop_argument: LoopArgument, field_name: str) -> None:
        if not _IDENTIFIER.match(field_name):
            raise _error(f"loop item field {field_name!r} is not a valid Python identifier")
        self.loop_argument = loop_argument
        self.field_name = field_name
        super().__init__(
            f"{loop_argument.name}-subvar-{field_name}", loop_argument.type.field_type, loop_argument.producer
        )

    @property
    def items(self) -> Any:
        return self.loop_argument.items

    @property
    def is_raw_items_argument(self) -> bool:
        return self.loop_argument.is_raw_items_argument


def loop_group_of(channel: PipelineChannel) -> ParallelFor | None:
    """The loop a loop item (or a field of one) belongs to; None for other channels."""
    if isinstance(channel, LoopArgumentVariable):
        return channel.loop_argument.loop
    if isinstance(channel, LoopArgument | LoopArtifactArgument):
        return channel.loop
    return None


def _type_of_first_item(items: list[Any]) -> ParameterType:
    first = items[0]
    if isinstance(first, dict) and first:
        # KFP types every field like the first dict's first value.
        value_type = parameter_type_of_value(next(iter(first.values())))
        return ParameterType(ParameterKind.STRUCT, value=value_type)
    return parameter_type_of_value(first) or ParameterType(ParameterKind.STRING)


class ParallelFor(TasksGroup):
    """Run the block once per item of ``items``, in parallel (at most ``parallelism`` at a time; 0: no limit).

    ``items`` is a list written in the pipeline, or a list-typed pipeline parameter or task output
    (parameters or artifacts). ``with dsl.ParallelFor(items) as item:`` gives the current item.
    """

    kind = GroupKind.FOR_LOOP

    def __init__(self, items: Any, name: str | None = None, parallelism: int | None = None) -> None:
        super().__init__(name)
        parallelism = parallelism or 0
        if isinstance(parallelism, bool) or not isinstance(parallelism, int) or parallelism < 0:
            raise _error(f"dsl.ParallelFor parallelism must be an integer >= 0, got {parallelism!r}")
        self.parallelism = parallelism
        graph = require_graph("dsl.ParallelFor")
        self.loop_argument: LoopArgument | LoopArtifactArgument
        if isinstance(items, PipelineArtifactChannel):
            if not items.is_artifact_list:
                raise _error(
                    f"dsl.ParallelFor cannot iterate over the single artifact {items.full_name!r}: it needs a "
                    "list of artifacts"
                )
            self.loop_argument = LoopArtifactArgument(
                f"{items.name}-loop-item", items.type, items, items.producer
            )
        elif isinstance(items, PipelineParameterChannel):
            if (
                not isinstance(items, LoopArgumentVariable | LoopArgument)
                and items.type.kind != ParameterKind.LIST
            ):
                raise _error(
                    f"dsl.ParallelFor cannot iterate over {items.full_name!r} of type {items.type}: it needs "
                    "a list"
                )
            self.loop_argument = LoopArgument(
                f"{items.name}-loop-item", items.type.loop_item_type, items, items.producer
            )
        elif isinstance(items, list | tuple):
            if not items:
                raise _error("dsl.ParallelFor got an empty list of items")
            self.loop_argument = LoopArgument(
                f"loop-item-param-{graph.next_group_id()}", _type_of_first_item(list(items)), list(items)
            )
            if isinstance(items[0], dict):
                # item.<key> reads a field, unless the key is one of the item's own attributes.
                own = set(vars(self.loop_argument)).union(*(vars(cls) for cls in LoopArgument.__mro__))
                clashes = sorted(key for key in items[0] if key in own)
                if clashes:
                    raise _error(
                        f"dsl.ParallelFor items have the key(s) {', '.join(map(repr, clashes))}, which "
                        f"item.<key> cannot read (the loop item has attributes of that name): rename them"
                    )
        else:
            raise _error(
                f"dsl.ParallelFor iterates over a list or a list-typed pipeline value, not {type(items).__name__}"
            )
        self.loop_argument.loop = self

    @property
    def items_is_channel(self) -> bool:
        return not self.loop_argument.is_raw_items_argument

    def __enter__(self) -> Any:
        graph = require_graph("dsl.ParallelFor")
        self.name = f"for-loop-{graph.next_group_id()}"
        graph.open_group(self)
        return self.loop_argument

    def __exit__(self, *_: object) -> None:
        assert self.graph is not None
        self.graph.close_group()


class Collected(PipelineChannel):
    """Every iteration's value of a task output inside a ``dsl.ParallelFor``, as one list (fan-in).

    Use it outside the loop: ``add(numbers=dsl.Collected(double_task.output))``.
    """

    def __init__(self, output: PipelineChannel) -> None:
        if isinstance(output, OneOfParameter | OneOfArtifact):
            raise _error("dsl.OneOf cannot be used inside dsl.Collected")
        if not isinstance(output, PipelineChannel) or output.producer is None:
            raise _error("dsl.Collected takes the output of a task inside a dsl.ParallelFor")
        self.output = output
        self.location = caller_location()
        collected_type: Any = output.type if output.is_artifact else ParameterType(ParameterKind.LIST)
        super().__init__(output.name, collected_type, output.producer)

    @property
    def is_artifact_list(self) -> bool:
        return self.output.is_artifact


# ---------------------------------------------------------------- OneOf


class _OneOfMixin:
    channels: list[PipelineChannel]
    branches: ConditionBranches


def _oneof_branches(channels: tuple[PipelineChannel, ...]) -> ConditionBranches:
    if not channels:
        raise _error("dsl.OneOf needs at least one task output")
    for channel in channels:
        if isinstance(channel, Collected):
            raise _error("dsl.Collected cannot be used inside dsl.OneOf")
        if isinstance(channel, _OneOfMixin):
            raise _error("dsl.OneOf cannot be used inside another dsl.OneOf")
        if not isinstance(channel, PipelineChannel) or not isinstance(channel.producer, PipelineTask):
            raise _error(f"dsl.OneOf takes outputs of tasks inside dsl.If/Elif/Else blocks, not {channel!r}")
    if len({channel.is_artifact for channel in channels}) > 1:
        raise _error("dsl.OneOf got a mix of parameters and artifacts: its outputs must all be the same type")
    first = channels[0]
    for index, channel in enumerate(channels[1:], start=1):
        if str(channel.type) != str(first.type) or channel.is_artifact_list != first.is_artifact_list:
            raise _error(
                f"dsl.OneOf outputs must all be the same type: {first.type} at index 0, {channel.type} at "
                f"index {index}"
            )
    producer = first.producer
    assert isinstance(producer, PipelineTask)
    branch = producer.parent_group
    branches = branch.parent if branch is not None else None
    if not isinstance(branches, ConditionBranches):
        raise _error(
            f"dsl.OneOf takes outputs of tasks directly inside dsl.If/Elif/Else blocks; {producer.name!r} is not"
        )
    if not isinstance(branches.groups[-1], Else):
        raise _error(
            "dsl.OneOf needs an output from a task in a dsl.Else block, so that one output always exists; "
            "write the dsl.Else before the dsl.OneOf"
        )
    return branches


class OneOfParameter(PipelineParameterChannel, _OneOfMixin):
    """The parameter output of whichever ``If``/``Elif``/``Else`` branch ran."""

    def __init__(self, channels: list[PipelineParameterChannel], branches: ConditionBranches) -> None:
        self.channels = list(channels)
        self.branches = branches
        self.location = caller_location()
        name = pipeline_channel_input_name(f"{branches.name}-oneof-{branches.next_oneof_id()}")
        super().__init__(name, channels[0].type, branches)

    def __str__(self) -> str:
        raise _error("dsl.OneOf cannot be used in an f-string: pass it to a component as an argument")


class OneOfArtifact(PipelineArtifactChannel, _OneOfMixin):
    """The artifact output of whichever ``If``/``Elif``/``Else`` branch ran."""

    def __init__(self, channels: list[PipelineArtifactChannel], branches: ConditionBranches) -> None:
        self.channels = list(channels)
        self.branches = branches
        self.location = caller_location()
        name = pipeline_channel_input_name(f"{branches.name}-oneof-{branches.next_oneof_id()}")
        super().__init__(name, channels[0].type, branches, channels[0].is_artifact_list)

    def __str__(self) -> str:
        raise _error("dsl.OneOf cannot be used in an f-string: pass it to a component as an argument")


class OneOf:
    """The output of whichever of several exclusive branches ran: ``dsl.OneOf(a.output, b.output)``.

    The tasks must sit directly in the ``If``/``Elif``/``Else`` blocks of one chain that ends with a
    ``dsl.Else``, and their outputs must have the same type.
    """

    def __new__(cls, *channels: PipelineChannel) -> Any:
        branches = _oneof_branches(channels)
        if channels[0].is_artifact:
            return OneOfArtifact(list(channels), branches)  # type: ignore[arg-type]
        return OneOfParameter(list(channels), branches)  # type: ignore[arg-type]


# ---------------------------------------------------------------- exit handler


class ExitHandler(TasksGroup):
    """Run ``exit_task`` when the tasks in the block are done, whether they succeeded or failed.

    The exit task may take a ``dsl.PipelineTaskFinalStatus`` parameter to learn how they ended.
    """

    kind = GroupKind.EXIT_HANDLER

    def __init__(self, exit_task: PipelineTask, name: str | None = None) -> None:
        super().__init__(name)
        if not isinstance(exit_task, PipelineTask):
            raise _error(f"dsl.ExitHandler takes the exit task (a called component), not {exit_task!r}")
        if exit_task.dependencies or any(
            channel.producer is not None for channel in exit_task.channel_inputs
        ):
            raise _error(
                f"the exit task {exit_task.name!r} of a dsl.ExitHandler cannot depend on other tasks "
                "(no .after(), no task outputs as arguments)"
            )
        self.exit_task = exit_task
        group = exit_task.parent_group
        if group is not None:
            group.tasks = [task for task in group.tasks if task is not exit_task]
        exit_task.is_exit_task = True

    def __enter__(self) -> ExitHandler:
        graph = require_graph("dsl.ExitHandler")
        if graph.current_group is not graph.root:
            raise _error(
                f"dsl.ExitHandler can only be used at the top level of a pipeline, not inside "
                f"{graph.current_group.describe()}"
            )
        self.name = f"exit-handler-{graph.next_group_id()}"
        graph.open_group(self)
        self.exit_task.parent_group = graph.root
        return self

    def __exit__(self, *_: object) -> None:
        assert self.graph is not None
        self.graph.close_group()
