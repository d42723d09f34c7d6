"""``StopToken``: asks engines to let go of their runs cleanly, leaving them to resume later.

Unlike a cancel (the run ends CANCELED) or a crash (whatever the turn had not committed is lost), a stop
kills the running tasks with their process groups, records them back to PENDING with the token's reason,
commits, and releases the run's lease: the run stays RUNNING, and ``resume_run`` (or the next
``sluice up``) picks it up, keeping what succeeded. One token may be shared by every run of a process.
"""

from __future__ import annotations

import threading

__all__ = ["StopToken"]


class StopToken:
    """Set once (from any thread) to stop every run driven with it; engines notice within half a second."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = "stopped"

    def stop(self, reason: str = "stopped") -> None:
        """Ask the runs to stop; ``reason`` is the note their interrupted tasks get."""
        self.reason = reason
        self._event.set()

    @property
    def stopped(self) -> bool:
        return self._event.is_set()
