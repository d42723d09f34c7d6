"""The replica zygote: a process that has imported KServe (and numpy, pandas, scikit-learn) once, and forks
one replica per request, so a replica serves in a fraction of a second instead of the several seconds
those imports take.

``python -m sluice.serving._zygote FD``: FD is one end of a ``SOCK_SEQPACKET`` socket pair with the
supervisor. Each request is one JSON message ``{"key", "spec", "log_path", "cwd", "env"}`` carrying the
replica's listening socket as an attached descriptor (SCM_RIGHTS); the zygote answers ``{"started": key,
"pid": n}`` (or ``{"failed": key, "error": ...}``) and later ``{"exited": pid, "status": code}``. It first
says ``{"ready": true}``, or ``{"unavailable": reason}`` and exits when KServe cannot be imported. When the
supervisor's end closes (``sluice up`` ended, even by SIGKILL) it kills its replicas and exits.

Each replica runs in its own session (process group), with its own log file, working folder and
environment; it watches the zygote and exits if the zygote goes away.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import socket
import sys
from typing import Any

__all__ = ["main"]

_MAX_MESSAGE = 1 << 20


def _send(control: socket.socket, message: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):
        control.send(json.dumps(message).encode())


def _child(request: dict[str, Any], listener_fd: int, close_fds: tuple[int, ...]) -> None:
    """In the forked child: become the replica."""
    code = 1
    try:
        os.setsid()
        for signal_number in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):
            signal.signal(signal_number, signal.SIG_DFL)
        signal.set_wakeup_fd(-1)
        for fd in close_fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        log_fd = os.open(request["log_path"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        null_fd = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null_fd, 0)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(log_fd)
        os.close(null_fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        from sluice.serving._replica import serve

        spec = dict(request["spec"])
        spec["socket_fd"] = listener_fd
        spec["parent_pid"] = os.getppid()
        code = serve(spec)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def main(argv: list[str]) -> int:
    control = socket.socket(fileno=int(argv[1]))
    # Ctrl-C reaches the whole terminal process group: the supervisor decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import sluice.serving._replica
        import sluice.serving._runtimes  # noqa: F401  (kserve, numpy, pandas)
    except ImportError as error:
        _send(
            control,
            {
                "unavailable": f"model serving needs the serving extra where sluice up runs (pip install 'sluice[serving]'): {error}"
            },
        )
        return 3
    with contextlib.suppress(ImportError):
        import sklearn.base  # noqa: F401  (the built-in runtime's models)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    selector = selectors.DefaultSelector()
    selector.register(control, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    children: set[int] = set()
    close_in_child = (control.fileno(), wake_read, wake_write)
    _send(control, {"ready": True})

    def reap() -> None:
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            children.discard(pid)
            _send(control, {"exited": pid, "status": os.waitstatus_to_exitcode(status)})

    while True:
        for selected, _ in selector.select():
            if selected.fd == wake_read:
                with contextlib.suppress(BlockingIOError):
                    os.read(wake_read, 4096)
                reap()
                continue
            try:
                data, fds, _flags, _address = socket.recv_fds(control, _MAX_MESSAGE, 1)
            except OSError:
                data, fds = b"", []
            if not data:
                for pid in children:
                    with contextlib.suppress(OSError):
                        os.killpg(pid, signal.SIGKILL)
                return 0
            request = json.loads(data)
            if len(fds) != 1:
                for fd in fds:
                    os.close(fd)
                _send(
                    control,
                    {"failed": request.get("key"), "error": "no listening socket came with the request"},
                )
                continue
            pid = os.fork()
            if pid == 0:
                _child(request, fds[0], close_in_child)
            os.close(fds[0])
            children.add(pid)
            _send(control, {"started": request["key"], "pid": pid})
        reap()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
