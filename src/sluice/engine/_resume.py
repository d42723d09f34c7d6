"""Resuming a run: what the store already holds for it, and which of its tasks keep their results.

A task that SUCCEEDED before keeps its outputs and never runs again (a DAG-like node is not re-entered).
Every other task (running when its engine died, failed, skipped, canceled) goes back to PENDING and is
decided again: the store's transition table does not allow that move, so the journal writes it directly,
with a history row saying "resumed from STATE". Task processes a dead engine left behind are killed first.
"""

from __future__ import annotations

from sqlalchemy import select

from sluice.engine._graph import Node
from sluice.engine._journal import Journal
from sluice.engine._ownership import kill_run_processes
from sluice.store import RuntimeState, Store
from sluice.store.models import Task

__all__ = ["carry_over", "previous_tasks"]


def previous_tasks(store: Store, run_id: str) -> dict[str, Task]:
    """The run's task rows by path; task processes still running for it are killed."""
    with store.read_session() as session:
        rows = session.scalars(select(Task).where(Task.run_id == run_id)).all()
    if any(row.state in (RuntimeState.RUNNING, RuntimeState.CANCELING) for row in rows):
        kill_run_processes(run_id)
    return {row.path: row for row in rows}


def carry_over(node: Node, row: Task, journal: Journal) -> None:
    """Give a node what its row from before the resume says: its result, or a fresh PENDING start."""
    node.attempts = row.attempts
    if row.state is RuntimeState.SUCCEEDED:
        # Done before the crash: keep its outputs, never run it again.
        node.state = RuntimeState.SUCCEEDED
        node.started = True
        node.restored = True
        node.cached_from = row.cached_from_task_id
        node.restore_outputs(row.outputs)
        node.started_at = row.started_at
        node.finished_at = row.finished_at
        return
    # Anything else (running when the engine died, failed, skipped) is decided again.
    journal.update_task(
        node.id, state=RuntimeState.PENDING, error=None, finished_at=None, message=f"resumed from {row.state}"
    )
