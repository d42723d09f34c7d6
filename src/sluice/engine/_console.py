"""Live progress on a terminal: task counts, a bar per loop, each failure with its log tail.

On a terminal the status line is redrawn in place; elsewhere (CI logs, pipes) each change is one line.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from sluice.engine._observer import RunObserver, TaskSnapshot
from sluice.store import RuntimeState, TaskKind

__all__ = ["ConsoleProgress"]

_LEAF_KINDS = (TaskKind.CONTAINER, TaskKind.IMPORTER)
_BAR_WIDTH = 20


class ConsoleProgress(RunObserver):
    """Writes progress to ``stream`` (stderr by default)."""

    def __init__(self, stream: TextIO | None = None, live: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.states: dict[str, RuntimeState] = {}
        self.cached: set[str] = set()
        self.loops: dict[str, TaskSnapshot] = {}
        self.started = time.monotonic()
        self._status_shown = False
        self._last_draw = 0.0
        self._loop_reported: dict[str, int] = {}

    # ------------------------------------------------------------------ output helpers

    def _clear_status(self) -> None:
        if self.live and self._status_shown:
            self.stream.write("\r\033[K")
            self._status_shown = False

    def _print(self, text: str) -> None:
        self._clear_status()
        self.stream.write(text + "\n")
        self.stream.flush()

    def _counts(self) -> str:
        counts = {"done": 0, "running": 0, "pending": 0, "failed": 0, "skipped": 0}
        for path, state in self.states.items():
            if state is RuntimeState.SUCCEEDED:
                counts["done"] += 1
            elif state is RuntimeState.RUNNING:
                counts["running"] += 1
            elif state is RuntimeState.PENDING:
                counts["pending"] += 1
            elif state in (RuntimeState.FAILED, RuntimeState.CANCELED):
                counts["failed"] += 1
            elif state is RuntimeState.SKIPPED:
                counts["skipped"] += 1
            del path
        parts = [f"{counts['done']} done ({len(self.cached)} cached)", f"{counts['running']} running"]
        parts.append(f"{counts['pending']} pending")
        if counts["failed"]:
            parts.append(f"{counts['failed']} failed")
        if counts["skipped"]:
            parts.append(f"{counts['skipped']} skipped")
        return " · ".join(parts)

    def _bar(self, loop: TaskSnapshot) -> str:
        total = loop.iterations
        finished = loop.iterations_finished
        filled = int(_BAR_WIDTH * finished / total) if total else _BAR_WIDTH
        return f"{loop.display_name} [{'#' * filled}{'.' * (_BAR_WIDTH - filled)}] {finished}/{total}"

    def _draw(self, force: bool = False) -> None:
        if not self.live:
            return
        now = time.monotonic()
        if not force and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        active = [loop for loop in self.loops.values() if loop.state is RuntimeState.RUNNING]
        line = f"{time.monotonic() - self.started:6.1f}s  {self._counts()}"
        if active:
            line += "  " + self._bar(active[-1])
        self.stream.write("\r\033[K" + line[:200])
        self.stream.flush()
        self._status_shown = True

    # ------------------------------------------------------------------ callbacks

    def run_started(self, run_id: str, pipeline_name: str, resumed: bool) -> None:
        verb = "resuming" if resumed else "running"
        self._print(f"{verb} {pipeline_name} (run {run_id})")

    def run_warning(self, message: str) -> None:
        self._print(f"warning: {message}")

    def task_changed(self, node: TaskSnapshot) -> None:
        if node.kind is TaskKind.LOOP:
            self.loops[node.path] = node
            self._report_loop(node)
        if node.kind not in _LEAF_KINDS:
            if node.state is RuntimeState.FAILED and node.kind is TaskKind.LOOP:
                self._draw()
            return
        previous = self.states.get(node.path)
        self.states[node.path] = node.state
        if node.cached_from is not None and node.state is RuntimeState.SUCCEEDED:
            self.cached.add(node.path)
        if node.state is RuntimeState.FAILED:
            self._print(f"✗ {node.path} failed: {node.error}")
            tail = node.log_tail
            if tail:
                self._print("\n".join(f"    │ {line}" for line in tail.splitlines()))
        elif not self.live and node.state is not previous and not node.in_loop:
            label = "cached" if node.path in self.cached else str(node.state).lower()
            if node.state is RuntimeState.PENDING and previous is None:
                return
            if node.state is RuntimeState.SKIPPED:
                label = f"skipped ({node.message})"
            self._print(f"  {label:<9} {node.path}")
        self._draw()

    def _report_loop(self, loop: TaskSnapshot) -> None:
        if self.live or not loop.iterations:
            return
        total = loop.iterations
        finished = loop.iterations_finished
        step = max(1, total // 10)
        reported = self._loop_reported.get(loop.path, 0)
        # A line at every tenth of the loop, and one at its end.
        if finished > reported and (finished == total or finished // step > reported // step):
            self._loop_reported[loop.path] = finished
            self._print(f"  loop      {self._bar(loop)}")

    def log_output(self, node: TaskSnapshot, text: str) -> None:
        lines = text.rstrip("\n").splitlines()
        self._print("\n".join(f"[{node.display_name}] {line}" for line in lines))
        self._draw(force=True)

    def tick(self) -> None:
        self._draw()

    def close(self) -> None:
        """Draw the final counts and end the status line, so what follows starts on a line of its own."""
        if self.live and self._status_shown:
            self._draw(force=True)
            self.stream.write("\n")
            self.stream.flush()
            self._status_shown = False
