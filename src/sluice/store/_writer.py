"""``RunWriter``: the one way a run's tasks and metadata are written, batched into one transaction.

Every task row is created and every task state change is made here: by the engine (one flush per turn of
its loop) and by the store's own operations on tasks (``Store.end_unfinished_tasks``, a terminate).
A state change is checked against the transition table (``LEGAL_TRANSITIONS``) when it is queued: an illegal
one raises ``IllegalTransitionError`` naming the run, the task and both states, and nothing of it is queued.
Staying in an unfinished state is not a move: it records a new message (a queued attempt stays PENDING
"waiting for cluster resources").

The engine queues every change a turn makes (tasks created, tasks moving state, artifacts, executions,
events) and commits them together before it acts on them (launching tasks that depend on a result, ending
the run). A crash therefore loses at most work that had not been committed, never a committed result.
SQLAlchemy Core statements with ``executemany`` over the tables of ``_tables`` keep this cheap (thousands of
loop iterations cost a few statements) and keep the ORM out of a one-shot run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Connection, bindparam, insert, update

from . import _tables as t
from ._errors import IllegalTransitionError
from ._states import LEGAL_TRANSITIONS, TERMINAL_STATES, EventType, ExecutionState, RuntimeState, TaskKind
from ._types import new_id, utcnow

if TYPE_CHECKING:
    from ._store import Store

__all__ = ["ArtifactRef", "RunWriter", "check_task_move"]


class ArtifactRef(Protocol):
    """An artifact the engine holds (its row's id, when it has one)."""

    @property
    def id(self) -> str | None: ...


def check_task_move(run_id: str, task: str, current: RuntimeState, target: RuntimeState) -> None:
    """Raise IllegalTransitionError unless a task in ``current`` may go to ``target``: a move the state table
    allows, or staying in an unfinished state (a new message)."""
    staying = target is current and current not in TERMINAL_STATES
    if not staying and target not in LEGAL_TRANSITIONS[current]:
        raise IllegalTransitionError(f"run {run_id}: task", task, current, target, LEGAL_TRANSITIONS[current])


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


class RunWriter:
    """Pending writes for one run, committed together by :meth:`flush`."""

    def __init__(self, store: Store, run_id: str) -> None:
        self.store = store
        self.run_id = run_id
        # What each task known here is now (as queued), and its path for errors: the transition check's input.
        self._states: dict[str, tuple[str, RuntimeState]] = {}
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
        return bool(
            self._tasks
            or self._updates
            or self._history
            or self._artifacts
            or self._executions
            or self._events
            or self._associations
            or self._attributions
            or self._metrics
        )

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
        self._states[task_id] = (path, RuntimeState.PENDING)

    def know_task(self, task_id: str, path: str, state: RuntimeState) -> None:
        """Track a task that already has its row (a resumed run's, or one a store operation locked)."""
        self._states[task_id] = (path, state)

    def restart_task(self, task_id: str, path: str, previous: RuntimeState) -> None:
        """Resume: a task that did not succeed before its engine stopped goes back to PENDING, from whatever
        state it was in (the one move the state table does not list, since only a resume makes it)."""
        self._queue(
            task_id,
            {"state": RuntimeState.PENDING, "error": None, "finished_at": None},
            f"resumed from {previous}",
        )
        self._states[task_id] = (path, RuntimeState.PENDING)

    def update_task(self, task_id: str, *, message: str | None = None, **values: Any) -> None:
        """Change a task's columns; a ``state`` change is checked (IllegalTransitionError, nothing queued)
        and appended to its history with ``message``."""
        unknown = set(values) - set(_TASK_FIELDS)
        if unknown:
            raise TypeError(f"unknown task fields {sorted(unknown)}")
        if "state" in values:
            target = RuntimeState(values["state"])
            path, current = self._states[task_id]
            check_task_move(self.run_id, path, current, target)
            self._states[task_id] = (path, target)
        self._queue(task_id, values, message)

    def _queue(self, task_id: str, values: dict[str, Any], message: str | None) -> None:
        self._updates.append((task_id, values))
        if "state" in values:
            self._history.append(
                {"task_id": task_id, "state": values["state"], "at": utcnow(), "message": message}
            )

    def record_artifact(
        self,
        *,
        uri: str,
        schema_title: str,
        schema_version: str = "0.0.1",
        name: str = "",
        metadata: dict[str, Any] | None = None,
    ) -> str:
        """An artifact (``schema_title`` like ``system.Model``), in the run's context when it has one; its id."""
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
                "metadata": metadata if metadata is not None else {},
                "created_at": now,
                "updated_at": now,
            }
        )
        if self.context_id is not None:
            self._attributions.append({"context_id": self.context_id, "artifact_id": artifact_id})
        return artifact_id

    def record_execution(
        self,
        *,
        type: str,
        task_id: str | None = None,
        name: str = "",
        state: ExecutionState = ExecutionState.NEW,
        properties: dict[str, Any] | None = None,
    ) -> str:
        """An execution (``type`` like ``system.ContainerExecution``) of the run's task, in the run's context
        when it has one; its id."""
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
                "properties": properties if properties is not None else {},
                "created_at": now,
                "updated_at": now,
            }
        )
        if self.context_id is not None:
            self._associations.append({"context_id": self.context_id, "execution_id": execution_id})
        return execution_id

    def record_event(
        self,
        *,
        execution_id: str,
        artifact_id: str,
        type: EventType,
        key: str = "",
        list_index: int | None = None,
    ) -> None:
        """An execution used (INPUT) or produced (OUTPUT) an artifact under input/output ``key``."""
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
        self, execution_id: str, artifacts: Mapping[str, Iterable[ArtifactRef]], type: EventType
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

    def associate(self, context_id: str, execution_id: str) -> None:
        """Put an execution into another context than the run's."""
        self._associations.append({"context_id": context_id, "execution_id": execution_id})

    def attribute(self, context_id: str, artifact_id: str) -> None:
        """Put an artifact into another context than the run's."""
        self._attributions.append({"context_id": context_id, "artifact_id": artifact_id})

    def record_metric(
        self, *, name: str, value: float, task_id: str | None = None, artifact_id: str | None = None
    ) -> None:
        """A scalar metric of the run, so runs can be filtered and sorted by it."""
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

    def flush(self, connection: Connection | None = None) -> None:
        """Commit everything queued, in one transaction (or write it in ``connection``'s, the caller's)."""
        if not self.pending:
            return
        if connection is None:
            with self.store.transaction() as own:
                self._write(own)
        else:
            self._write(connection)
        self._clear()

    def _write(self, connection: Connection) -> None:
        if self._tasks:
            connection.execute(insert(t.tasks), self._tasks)
        if self._artifacts:
            connection.execute(insert(t.artifacts), self._artifacts)
        if self._executions:
            connection.execute(insert(t.executions), self._executions)
        for columns, rows in _group_updates(self._updates).items():
            statement = (
                update(t.tasks)
                .where(t.tasks.c.id == bindparam("task_id"))
                .values({column: bindparam(f"v_{column}") for column in columns})
            )
            connection.execute(statement, rows)
        if self._history:
            connection.execute(insert(t.task_state_history), self._history)
        if self._events:
            connection.execute(insert(t.events), self._events)
        if self._associations:
            connection.execute(insert(t.associations), self._associations)
        if self._attributions:
            connection.execute(insert(t.attributions), self._attributions)
        if self._metrics:
            connection.execute(insert(t.run_metrics), self._metrics)

    def _clear(self) -> None:
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
        if not values:
            continue
        columns = tuple(sorted(values))
        row = {f"v_{column}": values[column] for column in columns}
        row["task_id"] = task_id
        groups.setdefault(columns, []).append(row)
    return groups
