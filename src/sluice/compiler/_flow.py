"""How values cross group boundaries: the inputs and outputs of each sub-DAG.

A task inside ``dsl.If``/``dsl.ParallelFor``/``dsl.ExitHandler`` groups reads values from outside them:
each group on the way in receives the value as an input named ``pipelinechannel--<task>-<output>`` (or
``pipelinechannel--<parameter>``). Outputs leave groups the other way, only through ``dsl.Collected``
(each loop surfaces the list) and ``dsl.OneOf`` (the branches group surfaces whichever branch ran).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sluice.dsl._internal import (
    ArtifactType,
    Collected,
    IOType,
    LoopArgument,
    LoopArgumentVariable,
    LoopArtifactArgument,
    Node,
    OneOfArtifact,
    OneOfParameter,
    ParallelFor,
    PipelineChannel,
    PipelineGraph,
    PipelineTask,
    TasksGroup,
    _ConditionGroup,
    condition_channels,
    effective_producer,
    loop_group_of,
    node_path,
    pipeline_channel_input_name,
    uncommon_ancestors,
)

__all__ = ["ChannelView", "DataFlow", "OutputSource", "SurfacedOutput", "view_of"]


@dataclass(frozen=True)
class ChannelView:
    """What the compiler needs to know of a channel to reference it from a DAG."""

    name: str
    """Its key among its producer's outputs (or the parameter's name)."""
    producer: str | None
    """The task or group that produces it, None for a pipeline input or a loop item."""
    type: IOType
    is_artifact_list: bool = False
    loop_argument: str | None = None
    """For a loop item or a field of one: the full name of the loop's item channel."""
    field: str | None = None
    """For a field of a loop item (``item.name``): the field."""

    @property
    def full_name(self) -> str:
        return f"{self.producer}-{self.name}" if self.producer else self.name

    @property
    def input_name(self) -> str:
        return pipeline_channel_input_name(self.full_name)

    @property
    def is_artifact(self) -> bool:
        return isinstance(self.type, ArtifactType)


def view_of(channel: PipelineChannel) -> ChannelView:
    """The view of a channel as it is seen where it is consumed (before any surfacing)."""
    if isinstance(channel, LoopArgumentVariable):
        loop_argument = channel.loop_argument
        return ChannelView(
            channel.name,
            loop_argument.producer_name,
            channel.type,
            loop_argument=loop_argument.full_name,
            field=channel.field_name,
        )
    if isinstance(channel, LoopArgument | LoopArtifactArgument):
        return ChannelView(channel.name, channel.producer_name, channel.type, loop_argument=channel.full_name)
    producer = effective_producer(channel)
    producer_name = producer.name if producer is not None else None
    return ChannelView(channel.name, producer_name, channel.type, channel.is_artifact_list)


@dataclass(frozen=True)
class OutputSource:
    """Where a DAG output comes from: a child task's (or group's) output."""

    producer: str
    key: str


@dataclass
class SurfacedOutput:
    """An output of a group's sub-DAG: surfaced from one child, or (OneOf) from whichever child ran."""

    type: IOType
    is_artifact_list: bool
    sources: list[OutputSource]
    one_of: bool = False


@dataclass
class DataFlow:
    """The inputs and outputs of every group of a pipeline, and how each consumer sees each channel."""

    graph: PipelineGraph
    pipeline_outputs: dict[str, PipelineChannel]
    group_inputs: dict[str, dict[str, ChannelView]] = field(default_factory=dict)
    group_outputs: dict[str, dict[str, SurfacedOutput]] = field(default_factory=dict)
    _views: dict[tuple[int, int], ChannelView] = field(default_factory=dict)
    pipeline_output_views: dict[str, ChannelView] = field(default_factory=dict)

    def view(self, consumer: Node, channel: PipelineChannel) -> ChannelView:
        """How ``consumer`` sees ``channel``: surfaced channels come from the group that surfaced them."""
        return self._views.get((id(consumer), id(channel))) or view_of(channel)

    # ------------------------------------------------------------ analysis

    def analyse(self) -> DataFlow:
        for task in self.graph.tasks.values():
            for channel in task.channel_inputs:
                if isinstance(channel, Collected):
                    self._surface_collected(task, channel)
                elif isinstance(channel, OneOfParameter | OneOfArtifact):
                    self._surface_one_of(channel)
        for output_name, channel in self.pipeline_outputs.items():
            if isinstance(channel, Collected):
                self.pipeline_output_views[output_name] = self._surface_collected(None, channel)
            elif isinstance(channel, OneOfParameter | OneOfArtifact):
                self._surface_one_of(channel)
                self.pipeline_output_views[output_name] = view_of(channel)
            else:
                self.pipeline_output_views[output_name] = view_of(channel)
        for task in self.graph.tasks.values():
            if task.is_exit_task:
                continue
            for channel in task.channel_inputs:
                self._propagate(task, channel, as_data=True)
            for channel in condition_channels(task):
                self._propagate(task, channel, as_data=False)
        for group in self.graph.groups():
            for channel in _own_channels(group):
                self._propagate(group, channel, as_data=True)
        return self

    def _add_input(self, group: Node, view: ChannelView) -> None:
        if isinstance(group, TasksGroup) and group is not self.graph.root:
            self.group_inputs.setdefault(group.name, {}).setdefault(view.input_name, view)

    def _propagate(self, consumer: Node, channel: PipelineChannel, as_data: bool) -> None:
        """Give each group between the channel's source and ``consumer`` an input for it.

        ``as_data``: the consumer reads the value itself (not only because a condition around it does).
        """
        path = node_path(consumer)
        loop = loop_group_of(channel)
        if loop is not None:
            assert isinstance(loop, ParallelFor)
            below = _after(path, loop)[:-1]
            item_view = view_of(loop.loop_argument)
            if isinstance(channel, LoopArgumentVariable) and not loop.items_is_channel and not as_data:
                # A task inside a condition on a field of a literal loop's item: like KFP, the groups from
                # that condition down receive the field itself; the groups above it need the item.
                reader = next(
                    (index for index, group in enumerate(below) if _reads_directly(group, channel)),
                    len(below),
                )
                for group in below[:reader]:
                    self._add_input(group, item_view)
                for group in below[reader:]:
                    self._add_input(group, view_of(channel))
                return
            for group in below:
                self._add_input(group, item_view)
            return
        view = self.view(consumer, channel)
        producer = effective_producer(channel)
        if producer is None:
            for group in path[1:-1]:
                self._add_input(group, view)
            return
        if isinstance(channel, Collected):
            producer = channel.producer
            assert producer is not None
        _, downstream = uncommon_ancestors(producer, consumer)
        for group in downstream[:-1]:
            self._add_input(group, view)

    def _output(self, group: TasksGroup, name: str, output: SurfacedOutput) -> None:
        self.group_outputs.setdefault(group.name, {}).setdefault(name, output)

    def _surface_collected(self, consumer: PipelineTask | None, collected: Collected) -> ChannelView:
        """Make each group around the producer surface the list; return the consumer's view of it."""
        producer = collected.producer
        assert isinstance(producer, PipelineTask)
        if consumer is None:
            groups = [node for node in node_path(producer)[1:-1] if isinstance(node, TasksGroup)]
        else:
            upstream, _ = uncommon_ancestors(producer, consumer)
            groups = [node for node in upstream[:-1] if isinstance(node, TasksGroup)]
        surfaced_name = pipeline_channel_input_name(f"{producer.name}-{collected.name}")
        collected_type: IOType = collected.type
        source = OutputSource(producer.name, collected.name)
        for group in reversed(groups):
            self._output(
                group, surfaced_name, SurfacedOutput(collected_type, collected.is_artifact, [source])
            )
            source = OutputSource(group.name, surfaced_name)
        view = ChannelView(surfaced_name, source.producer, collected_type, collected.is_artifact)
        if consumer is not None:
            self._views[(id(consumer), id(collected))] = view
        return view

    def _surface_one_of(self, one_of: OneOfParameter | OneOfArtifact) -> None:
        branches = one_of.branches
        if one_of.name in self.group_outputs.get(branches.name, {}):
            return
        sources: list[OutputSource] = []
        for channel in one_of.channels:
            producer = channel.producer
            assert isinstance(producer, PipelineTask)
            path = node_path(producer)
            inside = _after(path, branches)[:-1]  # the groups between the branches group and the producer
            source = OutputSource(producer.name, channel.name)
            surfaced_name = pipeline_channel_input_name(f"{producer.name}-{channel.name}")
            for group in reversed(inside):
                assert isinstance(group, TasksGroup)
                self._output(
                    group, surfaced_name, SurfacedOutput(channel.type, channel.is_artifact_list, [source])
                )
                source = OutputSource(group.name, surfaced_name)
            sources.append(source)
        self._output(
            branches, one_of.name, SurfacedOutput(one_of.type, one_of.is_artifact_list, sources, True)
        )


def _after(path: list[Node], group: TasksGroup) -> list[Node]:
    """The part of ``path`` below ``group``."""
    for index, node in enumerate(path):
        if node is group:
            return path[index + 1 :]
    return path[1:]


def _own_channels(group: TasksGroup) -> list[PipelineChannel]:
    """The channels a group itself reads: its condition's operands, its loop's items."""
    if isinstance(group, _ConditionGroup):
        return group.channels()
    if isinstance(group, ParallelFor) and group.items_is_channel:
        items = group.loop_argument.items
        assert isinstance(items, PipelineChannel)
        return [items]
    return []


def _reads_directly(group: Node, channel: PipelineChannel) -> bool:
    return isinstance(group, TasksGroup) and any(own is channel for own in _own_channels(group))
