"""The run's nodes in memory, and every change of a node's state.

A change is queued in the store's ``RunWriter`` (which checks it against the transition table; committed at
the end of the loop's turn, before anything acts on it) and reported to the observer. A node that ends goes on
the ``done`` work list, for the loop to pass on to its downstream tasks, its DAG or its loop; a node whose
upstream tasks have all ended goes on ``to_start``; a container task whose inputs are resolved goes on
``ready``, for the scheduler.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from sqlalchemy import Row

from sluice.engine._graph import Node, Scope
from sluice.engine._observer import RunObserver, notify_task_changed
from sluice.engine._resume import carry_over
from sluice.ir import ComponentSpec, PipelineTaskSpec
from sluice.store import TERMINAL_STATES, RuntimeState, RunWriter, TaskKind, new_id, utcnow

__all__ = ["RunState"]

_S = RuntimeState


class RunState:
    """The nodes of one run, the work lists between the engine's parts, and how the run is going."""

    def __init__(
        self, journal: RunWriter, observer: RunObserver, previous: dict[str, Row[Any]] | None = None
    ) -> None:
        self.journal = journal
        self.observer = observer
        self.previous = previous or {}  # a resumed run's task rows, by path
        self.nodes: dict[str, Node] = {}
        self.root: Node | None = None
        self.to_start: deque[Node] = deque()  # upstream ended: decide whether and how it runs
        self.done: deque[Node] = deque()  # ended: tell its downstream tasks, its DAG or its loop
        self.ready: list[Node] = []  # a container task with its inputs resolved, for the scheduler
        self.first_error: str | None = None  # what the run's error will say
        self.canceled = False
        self.cancel_reason = ""

    def add_node(
        self,
        *,
        path: str,
        name: str,
        display_name: str,
        kind: TaskKind,
        component_name: str,
        component: ComponentSpec,
        task_spec: PipelineTaskSpec | None,
        parent: Scope | None,
        iteration_index: int | None = None,
    ) -> Node:
        """A new node and its task row (on resume: the node its existing row describes)."""
        row = self.previous.get(path)
        node = Node(
            id=row.id if row is not None else new_id(),
            path=path,
            name=name,
            display_name=display_name,
            kind=kind,
            component_name=component_name,
            component=component,
            task_spec=task_spec,
            parent=parent,
            iteration_index=iteration_index,
        )
        if row is None:
            self.journal.create_task(
                task_id=node.id,
                parent_task_id=parent.owner.id if parent is not None else None,
                name=name,
                display_name=display_name,
                path=path,
                kind=kind,
                iteration_index=iteration_index,
                now=utcnow(),
            )
        else:
            carry_over(node, row, self.journal)
        self.nodes[path] = node
        notify_task_changed(self.observer, node)
        return node

    def set_state(self, node: Node, state: RuntimeState, message: str | None = None, **values: Any) -> None:
        """Move ``node`` to ``state``; ``values`` are more task columns to write with it.

        The move must be one the store's state table allows (``LEGAL_TRANSITIONS``): anything else is a bug
        in the engine, raised as IllegalTransitionError naming the run, the task and both states before
        anything is written. Staying in an unfinished state is not a move: it records a new message (a
        queued attempt is PENDING "waiting for cluster resources").
        """
        now = utcnow()
        starting = state is _S.RUNNING and node.started_at is None
        if starting:
            values.setdefault("started_at", now)
        if state in TERMINAL_STATES:
            values["finished_at"] = now
        # The writer checks the move (IllegalTransitionError before anything is queued or changed here).
        self.journal.update_task(node.id, state=state, message=message, **values)
        node.state = state
        if starting:
            node.started_at = now
        if node.is_terminal:
            node.finished_at = now
        notify_task_changed(self.observer, node)

    def finish(self, node: Node, state: RuntimeState, message: str | None = None, **values: Any) -> None:
        """End ``node`` in a terminal ``state`` (once; later calls do nothing) and queue it as done."""
        if node.is_terminal:
            return
        node.started = True
        if state is _S.SUCCEEDED:
            values.setdefault("outputs", node.outputs_json())
        self.set_state(node, state, message, **values)
        self.done.append(node)

    def fail(self, node: Node, message: str, log_tail: str = "") -> None:
        node.error = message
        node.log_tail = log_tail
        if self.first_error is None:
            self.first_error = f"task {node.path!r}: {message}"
        error: dict[str, Any] = {"message": message}
        if log_tail:
            error["logTail"] = log_tail
        self.finish(node, _S.FAILED, message, error=error)

    def skip(self, node: Node, reason: str) -> None:
        node.message = reason
        self.finish(node, _S.SKIPPED, reason, error={"reason": reason})

    def cancel(self, reason: str) -> bool:
        """Mark the run canceled (nothing new starts); False when it already was."""
        if self.canceled:
            return False
        self.canceled = True
        self.cancel_reason = reason
        if self.first_error is None:
            self.first_error = reason
        return True

    def cancel_unfinished(self) -> None:
        """Every node that has not ended ends CANCELED (the run stops with nothing left running)."""
        for node in self.nodes.values():
            if not node.is_terminal:
                self.set_state(node, _S.CANCELED, self.cancel_reason)
