"""Channels: values a pipeline passes around before they exist (pipeline parameters, task outputs).

Inside a pipeline function, ``task.output`` is a channel, not a value. Passing it to another component
wires the two tasks together. A channel also works inside an f-string: ``str(channel)`` is a pattern
(``{{channel:task=...;name=...;type=...;}}``) that the compiler finds again and replaces with a
reference to the value. Comparing a channel (``task.output > 0.5``) builds a condition for ``dsl.If``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sluice.dsl._graph import active_graph
from sluice.dsl._types import ArtifactType, IOType, ParameterKind, ParameterType

if TYPE_CHECKING:
    from sluice.dsl._graph import PipelineGraph, TasksGroup
    from sluice.dsl._task import PipelineTask

__all__ = [
    "ConditionOperation",
    "PipelineArtifactChannel",
    "PipelineChannel",
    "PipelineParameterChannel",
    "channels_in",
    "pipeline_channel_input_name",
]


def _definition_error(message: str) -> Exception:
    from sluice.dsl._errors import PipelineDefinitionError, caller_location

    return PipelineDefinitionError(message, location=caller_location())


_PATTERN = re.compile(r"\{\{channel:task=([\w\s_-]*);name=([\w\s_-]+);type=([^;]*);\}\}")
_VALID_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9\s_-]*$")


def pipeline_channel_input_name(full_name: str) -> str:
    """The name of the input a sub-DAG receives a channel through: ``pipelinechannel--<full name>``."""
    return f"pipelinechannel--{full_name}"


class ConditionOperation:
    """A comparison of a channel with a value or another channel, for ``dsl.If``."""

    __slots__ = ("left", "negate", "operator", "right")

    def __init__(self, operator: str, left: Any, right: Any, negate: bool = False) -> None:
        self.operator = operator
        self.left = left
        self.right = right
        self.negate = negate

    def __repr__(self) -> str:
        negation = "not " if self.negate else ""
        return f"ConditionOperation({negation}{self.left!r} {self.operator} {self.right!r})"

    def negated(self) -> ConditionOperation:
        return ConditionOperation(self.operator, self.left, self.right, not self.negate)

    def channels(self) -> list[PipelineChannel]:
        return [operand for operand in (self.left, self.right) if isinstance(operand, PipelineChannel)]

    def __bool__(self) -> bool:
        raise _definition_error(
            "a comparison of pipeline values is only known when the pipeline runs: use it in "
            "dsl.If(...)/dsl.Elif(...), not in a Python `if`"
        )


class PipelineChannel:
    """A value a pipeline passes between tasks, known only when the pipeline runs."""

    def __init__(self, name: str, type: IOType, producer: PipelineTask | TasksGroup | None = None) -> None:
        if not _VALID_NAME.match(name):
            raise _definition_error(
                f"channel names hold letters, digits, spaces, '_' and '-' and begin with a letter: {name!r}"
            )
        self.name = name
        self.type = type
        self.producer = producer
        graph = active_graph()
        if graph is not None:
            graph.register_channel(self)

    @property
    def producer_name(self) -> str | None:
        """The task (or group) that produces the value; None for a pipeline parameter."""
        return self.producer.name if self.producer is not None else None

    @property
    def full_name(self) -> str:
        """Unique in the pipeline: ``<task>-<output>``, or the parameter's name."""
        producer = self.producer_name
        return f"{producer}-{self.name}" if producer else self.name

    @property
    def is_artifact(self) -> bool:
        return isinstance(self.type, ArtifactType)

    @property
    def is_artifact_list(self) -> bool:
        return False

    @property
    def pattern(self) -> str:
        return f"{{{{channel:task={self.producer_name or ''};name={self.name};type={self.type};}}}}"

    def __str__(self) -> str:
        return self.pattern

    def __repr__(self) -> str:
        return self.pattern

    def __format__(self, spec: str) -> str:
        return format(self.pattern, spec)

    def __hash__(self) -> int:
        return id(self)

    def __bool__(self) -> bool:
        raise _definition_error(
            f"pipeline value {self.full_name!r} is only known when the pipeline runs: it has no truth value; "
            "compare it inside dsl.If(...) instead"
        )

    # Comparisons build conditions for dsl.If; they are not Python booleans.
    def __eq__(self, other: object) -> ConditionOperation:  # type: ignore[override]
        return ConditionOperation("==", self, other)

    def __ne__(self, other: object) -> ConditionOperation:  # type: ignore[override]
        return ConditionOperation("!=", self, other)

    def __lt__(self, other: object) -> ConditionOperation:
        return ConditionOperation("<", self, other)

    def __le__(self, other: object) -> ConditionOperation:
        return ConditionOperation("<=", self, other)

    def __gt__(self, other: object) -> ConditionOperation:
        return ConditionOperation(">", self, other)

    def __ge__(self, other: object) -> ConditionOperation:
        return ConditionOperation(">=", self, other)

    def __iter__(self) -> Any:
        raise _definition_error(
            f"pipeline value {self.full_name!r} is only known when the pipeline runs: loop over it with "
            "dsl.ParallelFor(...) rather than a Python for loop"
        )


class PipelineParameterChannel(PipelineChannel):
    """A parameter value (string, number, boolean, list, dict)."""

    type: ParameterType

    def __init__(
        self, name: str, type: ParameterType, producer: PipelineTask | TasksGroup | None = None
    ) -> None:
        super().__init__(name, type, producer)


class PipelineArtifactChannel(PipelineChannel):
    """An artifact (or a list of artifacts)."""

    type: ArtifactType

    def __init__(
        self,
        name: str,
        type: ArtifactType,
        producer: PipelineTask | TasksGroup | None = None,
        is_artifact_list: bool = False,
    ) -> None:
        self._is_artifact_list = is_artifact_list
        super().__init__(name, type, producer)

    @property
    def is_artifact_list(self) -> bool:
        return self._is_artifact_list


_TYPE_NAMES = {
    "String": ParameterKind.STRING,
    "Integer": ParameterKind.NUMBER_INTEGER,
    "Float": ParameterKind.NUMBER_DOUBLE,
    "Boolean": ParameterKind.BOOLEAN,
    "List": ParameterKind.LIST,
    "Dict": ParameterKind.STRUCT,
}


def _channel_from_pattern(producer_name: str, name: str, type_text: str) -> PipelineChannel:
    """A stand-in for a pattern whose channel this process did not create (e.g. copied from elsewhere)."""
    from sluice.dsl._graph import TasksGroup

    producer = None
    if producer_name:
        producer = TasksGroup()
        producer.name = producer_name
    if "@" in type_text:
        title, _, version = type_text.partition("@")
        return PipelineArtifactChannel(name, ArtifactType(title, version), producer)
    kind = _TYPE_NAMES.get(type_text.partition("[")[0], ParameterKind.STRING)
    return PipelineParameterChannel(name, ParameterType(kind), producer)


def channels_in(value: Any, graph: PipelineGraph | None = None) -> list[PipelineChannel]:
    """Every channel in ``value``: the value itself, patterns in strings, items of lists and dicts.

    A pattern is looked up among the channels of ``graph`` (default: the pipeline being defined).
    """
    found: dict[int, PipelineChannel] = {}
    graph = graph if graph is not None else active_graph()

    def visit(item: Any) -> None:
        if isinstance(item, PipelineChannel):
            found.setdefault(id(item), item)
        elif isinstance(item, str):
            for match in _PATTERN.finditer(item):
                channel = graph.channels.get(match.group(0)) if graph is not None else None
                if channel is None:
                    channel = _channel_from_pattern(*match.groups())
                found.setdefault(id(channel), channel)
        elif isinstance(item, list | tuple):
            for element in item:
                visit(element)
        elif isinstance(item, dict):
            for key, element in item.items():
                visit(key)
                visit(element)

    visit(value)
    return list(found.values())
