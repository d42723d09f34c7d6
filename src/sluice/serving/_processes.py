"""How replica processes start: the supervisor's end of the replica zygote (``_zygote``).

The zygote starts in the background the first time a replica is needed; until it has imported KServe it
is ``starting`` and replicas wait. A replica then starts in a fraction of a second. A zygote that cannot
import KServe is ``unavailable`` with the reason (the serving extra is missing), which the replicas that
waited for it report as their load error. A zygote that dies is started again; its replicas notice and
exit on their own, and count as exited.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ReplicaProcess", "Zygote"]

_log = logging.getLogger("sluice.serving")
_SPAWN_TIMEOUT_S = 30.0
_RETRY_UNAVAILABLE_S = 10.0


def _alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie no reaper collected does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


@dataclass(eq=False)
class ReplicaProcess:
    """A replica the zygote forked: its pid (also its process group) and, once known, its exit status."""

    pid: int
    zygote: Zygote
    generation: int  # which start of the zygote forked it

    def poll(self) -> int | None:
        status = self.zygote.exit_status(self.pid)
        orphaned = not self.zygote.running or self.zygote.generation != self.generation
        if status is None and orphaned and not _alive(self.pid):
            return -int(signal.SIGKILL)  # its zygote died, and so did it: the status is lost
        return status

    def signal(self, signal_number: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal_number)

    def wait(self, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while True:
            status = self.poll()
            if status is not None or time.monotonic() >= deadline:
                return status
            time.sleep(0.02)


@dataclass(eq=False)
class _Pending:
    done: threading.Event = field(default_factory=threading.Event)
    pid: int | None = None
    error: str | None = None


class Zygote:
    """One zygote process per supervisor, started again if it dies."""

    def __init__(self, python: str, log_path: Path) -> None:
        self._python = python
        self._log_path = log_path
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None
        self._state = "stopped"  # stopped, starting, ready, unavailable
        self.error: str | None = None
        self._unavailable_since = 0.0
        self._pending: dict[str, _Pending] = {}
        self._exits: dict[int, int] = {}
        self._counter = 0
        self.generation = 0

    @property
    def running(self) -> bool:
        return self._state in ("starting", "ready")

    def state(self) -> str:
        """``ready``, ``starting`` (replicas wait) or ``unavailable`` (``error`` says why); starts it if needed."""
        with self._lock:
            if self._state == "stopped" or (
                self._state == "unavailable"
                and time.monotonic() - self._unavailable_since >= _RETRY_UNAVAILABLE_S
            ):
                self._start()
            return self._state

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        with self._log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [self._python, "-m", "sluice.serving._zygote", str(theirs.fileno())],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(theirs.fileno(),),
                start_new_session=True,
            )
        theirs.close()
        self._control = ours
        self.generation += 1
        self._state = "starting"
        self.error = None
        threading.Thread(
            target=self._read, args=(ours, self._process), name="sluice-zygote", daemon=True
        ).start()

    def _read(self, control: socket.socket, process: subprocess.Popen[bytes]) -> None:
        while True:
            try:
                data = control.recv(1 << 16)
            except OSError:
                data = b""
            if not data:
                break
            message: dict[str, Any] = json.loads(data)
            with self._lock:
                if "exited" in message:
                    self._exits[int(message["exited"])] = int(message["status"])
                elif "ready" in message:
                    self._state = "ready"
                elif "unavailable" in message:
                    self.error = str(message["unavailable"])
                elif "started" in message or "failed" in message:
                    pending = self._pending.pop(str(message.get("started") or message.get("failed")), None)
                    if pending is not None:
                        pending.pid = message.get("pid")
                        pending.error = message.get("error")
                        pending.done.set()
        process.wait()
        with self._lock:
            if self._control is control:
                if self.error is None and self._state == "starting":
                    self.error = (
                        f"the replica zygote exited with status {process.returncode} (see {self._log_path})"
                    )
                self._state = "unavailable" if self.error else "stopped"
                self._unavailable_since = time.monotonic()
                self._control = None
                if self._state == "stopped":
                    _log.warning(
                        "serving: the replica zygote exited (%s); starting it again", process.returncode
                    )
            for pending in self._pending.values():
                pending.error = "the replica zygote exited"
                pending.done.set()
            self._pending.clear()
        control.close()

    def spawn(
        self, spec: dict[str, Any], listener: socket.socket, log_path: Path, cwd: Path, env: dict[str, str]
    ) -> ReplicaProcess:
        """Fork a replica (the zygote must be ``ready``); OSError if it cannot."""
        with self._lock:
            control = self._control
            if control is None or self._state != "ready":
                raise OSError("the replica zygote is not ready")
            self._counter += 1
            key = str(self._counter)
            pending = self._pending[key] = _Pending()
            generation = self.generation
        request = {"key": key, "spec": spec, "log_path": str(log_path), "cwd": str(cwd), "env": env}
        socket.send_fds(control, [json.dumps(request).encode()], [listener.fileno()])
        if not pending.done.wait(_SPAWN_TIMEOUT_S):
            raise OSError(f"the replica zygote did not fork within {_SPAWN_TIMEOUT_S:g}s")
        if pending.pid is None:
            raise OSError(pending.error or "the replica zygote could not fork")
        return ReplicaProcess(int(pending.pid), self, generation)

    def exit_status(self, pid: int) -> int | None:
        with self._lock:
            return self._exits.get(pid)

    def forget(self, pid: int) -> None:
        with self._lock:
            self._exits.pop(pid, None)

    def close(self) -> None:
        """End the zygote (it kills any replica still running)."""
        with self._lock:
            control, process = self._control, self._process
            self._control = None
            self._state = "stopped"
        if control is not None:
            with contextlib.suppress(OSError):
                control.shutdown(socket.SHUT_RDWR)
        if process is not None:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
