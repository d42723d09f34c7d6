"""What the engine tells the outside world while a run goes on (the CLI's live progress listens)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sluice.engine._graph import Node

__all__ = ["RunObserver"]


class RunObserver:
    """Callbacks from the engine's loop; the default does nothing. Keep them quick: the engine waits."""

    def run_started(self, run_id: str, pipeline_name: str, resumed: bool) -> None:
        """The run is claimed and about to start (or resume)."""

    def run_warning(self, message: str) -> None:
        """Something the run asks for that this engine does not do (said once, when the run starts)."""

    def task_changed(self, node: Node) -> None:
        """A task (or DAG, loop, iteration) changed state."""

    def log_output(self, node: Node, text: str) -> None:
        """New output of a running task (only when logs are streamed)."""

    def tick(self) -> None:
        """Called once per turn of the loop (about every half second when idle)."""
