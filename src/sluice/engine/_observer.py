"""What the engine tells the outside world while a run goes on (the CLI's live progress listens).

Observers get :class:`TaskSnapshot` values: frozen copies of a task's state at the moment it changed, never
the engine's own mutable nodes, so an observer can keep them and cannot change the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sluice.store import RuntimeState, TaskKind

if TYPE_CHECKING:
    from sluice.engine._graph import Node

__all__ = ["RunObserver", "TaskSnapshot"]


@dataclass(frozen=True, slots=True)
class TaskSnapshot:
    """A task (or DAG, loop, iteration) as it was when it changed."""

    id: str
    path: str
    name: str
    display_name: str
    kind: TaskKind
    state: RuntimeState
    attempts: int
    cached_from: str | None  # the task whose result a cache hit reused
    error: str | None
    message: str | None  # why it was skipped
    log_tail: str  # the end of a failed task's log
    in_loop: bool  # runs inside a loop iteration
    iterations: int  # a loop's iterations, 0 for anything else
    iterations_finished: int

    @classmethod
    def of(cls, node: Node) -> TaskSnapshot:
        return cls(
            id=node.id,
            path=node.path,
            name=node.name,
            display_name=node.display_name,
            kind=node.kind,
            state=node.state,
            attempts=node.attempts,
            cached_from=node.cached_from,
            error=node.error,
            message=node.message,
            log_tail=node.log_tail,
            in_loop=_in_loop(node),
            iterations=len(node.iterations),
            iterations_finished=len(node.iterations) - node.iterations_unfinished,
        )


def _in_loop(node: Node) -> bool:
    scope = node.parent
    while scope is not None:
        if scope.owner.kind is TaskKind.LOOP_ITERATION:
            return True
        scope = scope.owner.parent
    return False


class RunObserver:
    """Callbacks from the engine's loop; the default does nothing. Keep them quick: the engine waits."""

    def run_started(self, run_id: str, pipeline_name: str, resumed: bool) -> None:
        """The run is claimed and about to start (or resume)."""

    def run_warning(self, message: str) -> None:
        """Something the run asks for that this engine does not do (said once, when the run starts)."""

    def task_changed(self, task: TaskSnapshot) -> None:
        """A task (or DAG, loop, iteration) changed state."""

    def log_output(self, task: TaskSnapshot, text: str) -> None:
        """New output of a running task (only when logs are streamed)."""

    def tick(self) -> None:
        """Called once per turn of the loop (about every half second when idle)."""


def notify_task_changed(observer: RunObserver, node: Node) -> None:
    """Tell ``observer`` that ``node`` changed; no snapshot is made for an observer that does not listen."""
    if type(observer).task_changed is not RunObserver.task_changed:
        observer.task_changed(TaskSnapshot.of(node))
