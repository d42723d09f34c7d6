"""Who drives a run: lease owner names, recognising an owner that died, and the task processes it left.

An engine claims its run with a lease (``Store.claim_run``) under an owner name ``host:pid:token`` and renews
it with heartbeats. A run is free again when that process is gone from this host, or when its heartbeat
is older than :data:`LEASE_STALE_AFTER`. Every task process carries ``SLUICE_RUN_ID`` in its environment,
which is how what a dead engine left running is found and killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import uuid
from datetime import timedelta
from pathlib import Path

__all__ = [
    "HEARTBEAT_INTERVAL_S",
    "LEASE_STALE_AFTER",
    "engine_owner_id",
    "kill_run_processes",
    "owner_is_dead",
]

HEARTBEAT_INTERVAL_S = 5.0
LEASE_STALE_AFTER = timedelta(seconds=30)


def engine_owner_id() -> str:
    """This engine's lease owner name: host and pid, so a dead owner on this host is recognisable."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_is_dead(owner: str | None) -> bool:
    """True when ``owner`` names an engine process on this host that no longer exists."""
    if not owner:
        return True
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def kill_run_processes(run_id: str) -> None:
    """Kill the process group of every process on this host whose environment has ``SLUICE_RUN_ID=run_id``."""
    marker = f"SLUICE_RUN_ID={run_id}".encode()
    proc = Path("/proc")
    if not proc.is_dir():
        return
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environment = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker in environment.split(b"\0"):
            with contextlib.suppress(OSError):
                os.killpg(os.getpgid(int(entry.name)), signal.SIGKILL)
