"""Task rows for tests that need them without running an engine: written through ``RunWriter``, the store's
one writer of tasks (so every state change is checked against the transition table), with the columns the
engine sets on the same moves (``sluice.engine._state.RunState.set_state``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, select
from sqlalchemy.orm import Session

from sluice.store import (
    TERMINAL_STATES,
    NotFoundError,
    RuntimeState,
    RunWriter,
    Store,
    TaskKind,
    new_id,
    tables,
    utcnow,
)

__all__ = ["create_task", "transition_task"]


def create_task(
    store: Store,
    run_id: str,
    *,
    name: str,
    path: str,
    kind: TaskKind | str,
    parent_task_id: str | None = None,
    iteration_index: int | None = None,
    session: Session | Connection | None = None,
    **columns: Any,
) -> Row[Any]:
    """A PENDING task of the run (``path`` unique in it: ``ConflictError`` otherwise), with its first history
    row, and more ``columns`` (``inputs``, ``cache_fingerprint``); its row."""
    writer = RunWriter(store, run_id)
    task_id = new_id()
    writer.create_task(
        task_id=task_id,
        parent_task_id=parent_task_id,
        name=name,
        display_name=name,
        path=path,
        kind=TaskKind(kind),
        iteration_index=iteration_index,
        now=utcnow(),
    )
    if columns:
        writer.update_task(task_id, **columns)
    with store._write(session) as connection:  # as the Store's methods join a caller's transaction
        writer.flush(connection)
        return connection.execute(select(tables.tasks).where(tables.tasks.c.id == task_id)).one()


def transition_task(
    store: Store,
    task_id: str,
    new_state: RuntimeState | str,
    *,
    message: str | None = None,
    session: Session | Connection | None = None,
    **values: Any,
) -> Row[Any]:
    """Move the task to ``new_state`` with its history row (``IllegalTransitionError`` for a move the state
    table forbids, ``NotFoundError`` for an unknown task); entering RUNNING counts an attempt and sets
    ``started_at`` the first time, a final state sets ``finished_at``. ``values``: more columns (``outputs``,
    ``pid``, ...); ``error`` is replaced (cleared when not given). Its row."""
    target = RuntimeState(new_state)
    tasks = tables.tasks
    with store._write(session) as connection:  # as the Store's methods join a caller's transaction
        task = connection.execute(select(tasks).where(tasks.c.id == task_id)).one_or_none()
        if task is None:
            raise NotFoundError("task", task_id)
        values.setdefault("error", None)
        writer = RunWriter(store, task.run_id)
        writer.know_task(task_id, task.path, task.state)
        now = utcnow()
        values["finished_at"] = now if target in TERMINAL_STATES else None
        if target is RuntimeState.RUNNING and target is not task.state:
            values["attempts"] = task.attempts + 1
            if task.started_at is None:
                values["started_at"] = now
        writer.update_task(task_id, state=target, message=message, **values)
        writer.flush(connection)
        return connection.execute(select(tasks).where(tasks.c.id == task_id)).one()
