"""Resuming a run: what the store already holds for it, and which of its tasks keep their results.

A task that SUCCEEDED before keeps its outputs and never runs again (a DAG-like node is not re-entered).
Every other task (running when its engine died, failed, skipped, canceled) goes back to PENDING and is
decided again: the store's transition table does not allow that move, so the journal writes it directly,
with a history row saying "resumed from STATE". Task processes a dead engine left behind are killed first.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select

from sluice.engine._graph import Node
from sluice.engine._ownership import kill_run_processes
from sluice.store import RuntimeState, RunWriter, Store, tables

__all__ = ["carry_over", "previous_tasks"]


def previous_tasks(store: Store, run_id: str) -> dict[str, Row[Any]]:
    """The run's task rows by path; task processes still running for it are killed."""
    with store.reading() as connection:
        rows = connection.execute(select(tables.tasks).where(tables.tasks.c.run_id == run_id)).all()
    if any(row.state in (RuntimeState.RUNNING, RuntimeState.CANCELING) for row in rows):
        kill_run_processes(run_id)
    return {row.path: row for row in rows}


def carry_over(node: Node, row: Row[Any], journal: RunWriter) -> None:
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
        journal.know_task(node.id, node.path, RuntimeState.SUCCEEDED)
        return
    # Anything else (running when the engine died, failed, skipped) is decided again.
    journal.restart_task(node.id, node.path, row.state)
