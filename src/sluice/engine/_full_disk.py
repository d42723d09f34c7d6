"""A full artifact filesystem, named as the cause of a failed attempt, and what the attempt left freed.

A task that fills the disk its outputs and log live on usually dies with a bare "exited with code 1" and an
empty log (the log is on the same disk). When an attempt fails and the filesystem of its folder has next to
nothing left, the engine says what it was writing ("no space left on device while writing output 'model'",
or "... the log" when no output was started), removes the partial outputs (and cuts a log that filled the
disk to its last lines), so that retries and the next runs have room again.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from sluice.engine._attempts import clear_outputs
from sluice.engine._context import RunContext
from sluice.engine._prepare import PreparedTask

__all__ = ["filesystem_full", "full_disk_cause"]

# Less than this left counts as full: a write of any size may have failed.
FULL_BELOW_BYTES = 64 * 1024
_LOG_KEPT_BYTES = 8 * 1024


def filesystem_full(path: Path) -> bool:
    """Whether the filesystem holding ``path`` has (next to) no space left for this process."""
    try:
        stats = os.statvfs(path)
    except OSError:
        return False
    # root may use the blocks reserved for it, so for root only the truly free ones count.
    free_blocks = stats.f_bfree if os.geteuid() == 0 else stats.f_bavail
    return free_blocks * stats.f_frsize < FULL_BELOW_BYTES


def _started_outputs(ctx: RunContext, prepared: PreparedTask) -> list[str]:
    """The outputs the attempt had begun to write, as errors name them."""
    outputs = prepared.executor_input["outputs"]
    started = []
    for key, entry in outputs["artifacts"].items():
        for artifact in entry["artifacts"]:
            path = ctx.artifacts.local_path(artifact["uri"])
            if path.is_file() or (path.is_dir() and any(path.iterdir())):
                started.append(f"output {key!r}")
                break
    for key, entry in outputs["parameters"].items():
        if os.path.exists(entry["outputFile"]):
            started.append(f"output {key!r}")
    if os.path.exists(outputs["outputFile"]) and not started:
        started.append("the executor output")
    return started


def _cut_log(log_path: Path) -> None:
    """Keep the last lines of a log that filled the disk, with a note saying it was cut."""
    with contextlib.suppress(OSError):
        size = log_path.stat().st_size
        if size <= _LOG_KEPT_BYTES:
            return
        with log_path.open("rb") as log:
            log.seek(size - _LOG_KEPT_BYTES)
            tail = log.read()
        tail = tail[tail.find(b"\n") + 1 :]
        note = f"[sluice: the first {size - len(tail)} bytes of this log were removed: the disk was full]\n"
        # Truncate first: rewriting needs the room the old content takes.
        with log_path.open("wb") as log:
            log.write(note.encode() + tail)


def full_disk_cause(ctx: RunContext, prepared: PreparedTask, log_path: Path) -> str | None:
    """After a failed attempt: "no space left on device while writing ..." when the task's filesystem is
    full (its partial outputs removed, a log that filled it cut), else None."""
    if not filesystem_full(prepared.task_dir):
        return None
    started = _started_outputs(ctx, prepared)
    if started:
        what = ", ".join(started)
        clear_outputs(ctx, prepared)
    else:
        what = "the log"
        _cut_log(log_path)
    cause = f"no space left on device while writing {what}"
    with contextlib.suppress(OSError), log_path.open("a", encoding="utf-8") as log:
        removed = "; its partial output was removed" if started else ""
        log.write(f"[sluice: {cause}{removed}]\n")
    return cause
