"""Writing a run's progress to the store, batched: one transaction per turn of the engine's loop.

The engine queues every change a turn makes (tasks created, tasks moving state, artifacts, executions,
events) and commits them together before it acts on them (launching tasks that depend on a result, ending
the run). A crash therefore loses at most work that had not been committed, never a committed result.
SQLAlchemy Core statements with ``executemany`` keep this cheap: thousands of loop iterations cost a few
statements, not thousands of ORM flushes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, insert, update

from sluice.store import EventType, ExecutionState, RuntimeState, Store, TaskKind, new_id, utcnow
from sluice.store.models import (
    Artifact,
    Association,
    Attribution,
    Event,
    Execution,
    RunMetric,
    Task,
    TaskStateHistory,
)

if TYPE_CHECKING:
    from sluice.engine._graph import ArtifactValue

__all__ = ["Journal"]

_TASK_FIELDS = (
    "state",
    "started_at",
    "finished_at",
    "attempts",
    "cached_from_task_id",
    "outputs",
    "error",
    "executor_input",
    "pid",
    "log_uri",
    "inputs",
    "cache_fingerprint",
    "platform",
    "node_id",
    "node_address",
)


class Journal:
    """Pending writes for one run."""

    def __init__(self, store: Store, run_id: str) -> None:
        self.store = store
        self.run_id = run_id
        self._tasks: list[dict[str, Any]] = []
        self._updates: list[tuple[str, dict[str, Any]]] = []
        self._history: list[dict[str, Any]] = []
        self._artifacts: list[dict[str, Any]] = []
        self._executions: list[dict[str, Any]] = []
        self._events: list[dict[str, Any]] = []
        self._associations: list[dict[str, Any]] = []
        self._attributions: list[dict[str, Any]] = []
        self._metrics: list[dict[str, Any]] = []
        self.context_id: str | None = None

    @property
    def pending(self) -> bool:
        return bool(self._tasks or self._updates or self._artifacts or self._executions or self._metrics)

    # ------------------------------------------------------------------ queueing

    def create_task(
        self,
        *,
        task_id: str,
        parent_task_id: str | None,
        name: str,
        display_name: str,
        path: str,
        kind: TaskKind,
        iteration_index: int | None,
        now: datetime,
    ) -> None:
        self._tasks.append(
            {
                "id": task_id,
                "run_id": self.run_id,
                "parent_task_id": parent_task_id,
                "name": name,
                "display_name": display_name,
                "path": path,
                "iteration_index": iteration_index,
                "kind": kind,
                "state": RuntimeState.PENDING,
                "created_at": now,
                "attempts": 0,
            }
        )
        self._history.append({"task_id": task_id, "state": RuntimeState.PENDING, "at": now, "message": None})

    def update_task(self, task_id: str, *, message: str | None = None, **values: Any) -> None:
        """Change a task's columns; a ``state`` change is also appended to its history."""
        unknown = set(values) - set(_TASK_FIELDS)
        if unknown:
            raise TypeError(f"unknown task fields {sorted(unknown)}")
        self._updates.append((task_id, values))
        if "state" in values:
            self._history.append(
                {"task_id": task_id, "state": values["state"], "at": utcnow(), "message": message}
            )

    def record_artifact(
        self, *, uri: str, schema_title: str, schema_version: str, name: str, metadata: dict[str, Any]
    ) -> str:
        artifact_id = new_id()
        now = utcnow()
        self._artifacts.append(
            {
                "id": artifact_id,
                "uri": uri,
                "schema_title": schema_title,
                "schema_version": schema_version,
                "name": name,
                "display_name": name,
                "metadata": metadata,
                "created_at": now,
                "updated_at": now,
            }
        )
        if self.context_id is not None:
            self._attributions.append({"context_id": self.context_id, "artifact_id": artifact_id})
        return artifact_id

    def record_execution(
        self, *, task_id: str, type: str, name: str, state: ExecutionState, properties: dict[str, Any]
    ) -> str:
        execution_id = new_id()
        now = utcnow()
        self._executions.append(
            {
                "id": execution_id,
                "run_id": self.run_id,
                "task_id": task_id,
                "type": type,
                "name": name,
                "state": state,
                "properties": properties,
                "created_at": now,
                "updated_at": now,
            }
        )
        if self.context_id is not None:
            self._associations.append({"context_id": self.context_id, "execution_id": execution_id})
        return execution_id

    def record_event(
        self, *, execution_id: str, artifact_id: str, type: EventType, key: str, list_index: int | None
    ) -> None:
        self._events.append(
            {
                "execution_id": execution_id,
                "artifact_id": artifact_id,
                "type": type,
                "key": key,
                "list_index": list_index,
                "at": utcnow(),
            }
        )

    def record_events(
        self, execution_id: str, artifacts: Mapping[str, list[ArtifactValue]], type: EventType
    ) -> None:
        """An event of ``type`` for each artifact in ``artifacts`` (by key and position) that has a row."""
        for key, values in artifacts.items():
            for index, artifact in enumerate(values):
                if artifact.id:
                    self.record_event(
                        execution_id=execution_id,
                        artifact_id=artifact.id,
                        type=type,
                        key=key,
                        list_index=index,
                    )

    def record_metric(self, *, task_id: str, artifact_id: str | None, name: str, value: float) -> None:
        self._metrics.append(
            {
                "run_id": self.run_id,
                "task_id": task_id,
                "artifact_id": artifact_id,
                "name": name,
                "value": float(value),
                "created_at": utcnow(),
            }
        )

    # ------------------------------------------------------------------ committing

    def flush(self) -> None:
        """Commit everything queued, in one transaction."""
        if not (self.pending or self._history):
            return
        with self.store.session() as session:
            connection = session.connection()
            if self._tasks:
                connection.execute(insert(Task), self._tasks)
            if self._artifacts:
                connection.execute(insert(Artifact), self._artifacts)
            if self._executions:
                connection.execute(insert(Execution), self._executions)
            for columns, rows in _group_updates(self._updates).items():
                statement = (
                    update(Task)
                    .where(Task.id == bindparam("task_id"))
                    .values({column: bindparam(f"v_{column}") for column in columns})
                )
                connection.execute(statement, rows)
            if self._history:
                connection.execute(insert(TaskStateHistory), self._history)
            if self._events:
                connection.execute(insert(Event), self._events)
            if self._associations:
                connection.execute(insert(Association), self._associations)
            if self._attributions:
                connection.execute(insert(Attribution), self._attributions)
            if self._metrics:
                connection.execute(insert(RunMetric), self._metrics)
        self._tasks.clear()
        self._updates.clear()
        self._history.clear()
        self._artifacts.clear()
        self._executions.clear()
        self._events.clear()
        self._associations.clear()
        self._attributions.clear()
        self._metrics.clear()


def _group_updates(updates: list[tuple[str, dict[str, Any]]]) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    """Updates grouped by the columns they set, so each group is one executemany (order kept per task)."""
    # Several updates of one task in a turn are merged first: the last value of each column wins.
    merged: dict[str, dict[str, Any]] = {}
    for task_id, values in updates:
        merged.setdefault(task_id, {}).update(values)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for task_id, values in merged.items():
        columns = tuple(sorted(values))
        row = {f"v_{column}": values[column] for column in columns}
        row["task_id"] = task_id
        groups.setdefault(columns, []).append(row)
    return groups
