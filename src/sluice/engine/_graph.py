"""The engine's picture of a run in memory: one node per task instance, one scope per executing DAG.

A *scope* is one execution of a DAG component (the root, a sub-pipeline, a condition branch, an exit
handler body, one iteration of a loop): its resolved inputs and its child nodes. A *node* is one task of a
scope (or one iteration of a loop) with its state, outputs and its row in the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sluice.ir import ArtifactTypeSchema, ComponentSpec, PipelineTaskSpec
from sluice.store import RuntimeState, TaskKind

__all__ = ["ArtifactValue", "Node", "Scope", "artifact_type", "values_json"]

DEFAULT_SCHEMA_TITLE = "system.Artifact"
DEFAULT_SCHEMA_VERSION = "0.0.1"


def artifact_type(type_schema: ArtifactTypeSchema | None) -> tuple[str, str]:
    """The schema title and version an artifact of this declared type gets (``system.Artifact`` 0.0.1 when
    the declaration leaves them out)."""
    if type_schema is None:
        return DEFAULT_SCHEMA_TITLE, DEFAULT_SCHEMA_VERSION
    return (
        type_schema.schema_title or DEFAULT_SCHEMA_TITLE,
        type_schema.schema_version or DEFAULT_SCHEMA_VERSION,
    )


@dataclass
class ArtifactValue:
    """An artifact as tasks pass it around: its store row id, URI, type and metadata."""

    id: str
    name: str
    uri: str
    schema_title: str
    schema_version: str = DEFAULT_SCHEMA_VERSION
    metadata: dict[str, Any] = field(default_factory=dict)

    def runtime_artifact(self) -> dict[str, Any]:
        """KFP's ``RuntimeArtifact`` JSON, as the executor input carries it."""
        return {
            "name": self.name,
            "uri": self.uri,
            "type": {"schemaTitle": self.schema_title, "schemaVersion": self.schema_version},
            "metadata": self.metadata,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "uri": self.uri,
            "schemaTitle": self.schema_title,
            "schemaVersion": self.schema_version,
            "metadata": self.metadata,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ArtifactValue:
        return cls(
            id=data.get("id", ""),
            name=data.get("name", ""),
            uri=data["uri"],
            schema_title=data.get("schemaTitle", DEFAULT_SCHEMA_TITLE),
            schema_version=data.get("schemaVersion", DEFAULT_SCHEMA_VERSION),
            metadata=data.get("metadata") or {},
        )


@dataclass(eq=False)
class Node:
    """One task instance in the run."""

    id: str
    path: str
    name: str  # the task's key in its DAG (or "<loop>[i]" for an iteration)
    display_name: str
    kind: TaskKind
    component_name: str
    component: ComponentSpec
    task_spec: PipelineTaskSpec | None  # None for the root and for loop iterations
    parent: Scope | None
    iteration_index: int | None = None
    state: RuntimeState = RuntimeState.PENDING
    started: bool = False  # resolved and dispatched (or finished)
    cached_from: str | None = None
    error: str | None = None
    message: str | None = None  # why it was skipped, where a cache hit came from
    log_tail: str = ""  # the end of a failed task's log
    parameters: dict[str, Any] = field(default_factory=dict)  # outputs
    artifacts: dict[str, list[ArtifactValue]] = field(default_factory=dict)  # outputs
    # Dependencies inside the parent scope.
    upstream: set[str] = field(default_factory=set)
    downstream: list[Node] = field(default_factory=list)
    waiting_on: int = 0
    # DAG-like nodes: the scope they run; loops: their iterations.
    scope: Scope | None = None
    iterations: list[Node] = field(default_factory=list)
    loop: Node | None = None  # an iteration's loop
    iterations_started: int = 0
    iterations_active: int = 0
    iterations_unfinished: int = 0
    # Resolved inputs (containers and DAGs).
    input_parameters: dict[str, Any] = field(default_factory=dict)
    input_artifacts: dict[str, list[ArtifactValue]] = field(default_factory=dict)
    item: Any = None  # a loop iteration's item (for the loop node: the name of the item input)
    attempts: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    # Set when the node's outputs came from the store at resume (DAG-like nodes are not re-entered).
    restored: bool = False

    @property
    def is_terminal(self) -> bool:
        return self.state in (
            RuntimeState.SUCCEEDED,
            RuntimeState.SKIPPED,
            RuntimeState.FAILED,
            RuntimeState.CANCELED,
        )

    @property
    def succeeded(self) -> bool:
        return self.state is RuntimeState.SUCCEEDED

    def outputs_json(self) -> dict[str, Any]:
        return values_json(self.parameters, self.artifacts)

    def restore_outputs(self, outputs: dict[str, Any] | None) -> None:
        """Take the outputs a task row holds (its ``outputs_json`` when it ended)."""
        outputs = outputs or {}
        self.parameters = dict(outputs.get("parameters") or {})
        self.artifacts = {
            key: [ArtifactValue.from_json(item) for item in items]
            for key, items in (outputs.get("artifacts") or {}).items()
        }


@dataclass(eq=False)
class Scope:
    """One execution of a DAG component."""

    owner: Node
    component: ComponentSpec
    parameters: dict[str, Any]
    artifacts: dict[str, list[ArtifactValue]]
    children: dict[str, Node] = field(default_factory=dict)
    unfinished: int = 0


def values_json(parameters: dict[str, Any], artifacts: dict[str, list[ArtifactValue]]) -> dict[str, Any]:
    """Parameter values and artifacts as a task row stores them (its ``inputs`` and ``outputs``)."""
    return {
        "parameters": parameters,
        "artifacts": {key: [value.to_json() for value in values] for key, values in artifacts.items()},
    }
