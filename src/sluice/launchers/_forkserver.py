"""The fork server: a pre-started Python worker that forks one process per Python function task.

Starting a Python interpreter and importing the runtime costs tens of milliseconds per task; forking a
warm worker costs about one. Each task still runs in its own process (its own process group, its own
log file), so tasks stay isolated from each other and from the engine.

Protocol (newline-delimited JSON): the engine writes ``{"key", "executor_input", "function_name",
"module_source", "module_path", "cwd", "env", "log_path"}`` on our stdin; we answer ``{"started": key,
"pid": n}`` and later ``{"exited": key, "pid": n, "status": waitstatus}`` on our stdout. When stdin
closes (the engine ended, even by SIGKILL) we kill every task we started and exit.

Standard library only, besides ``sluice.runtime`` itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import sys
from typing import Any

__all__ = ["main", "set_parent_death_signal"]

_PR_SET_PDEATHSIG = 1


def set_parent_death_signal(signal_number: int = signal.SIGKILL) -> None:
    """Ask Linux to send us ``signal_number`` when our parent dies (a no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal_number, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _run_task(request: dict[str, Any], keep_fds: tuple[int, ...]) -> int:
    """In the forked child: become the task, run the function, return the exit code."""
    os.setsid()
    set_parent_death_signal()
    for signal_number in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):
        signal.signal(signal_number, signal.SIG_DFL)
    signal.set_wakeup_fd(-1)
    log_fd = os.open(request["log_path"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    null_fd = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null_fd, 0)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    for fd in (log_fd, null_fd, *keep_fds):
        os.close(fd)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    os.chdir(request["cwd"])
    os.environ.update(request["env"])
    module_path = request["module_path"]
    if request.get("module_source") is not None:
        with open(module_path, "w", encoding="utf-8") as module_file:
            module_file.write(request["module_source"])
    sys.argv = [module_path]
    if request["cwd"] not in sys.path:
        sys.path.insert(0, request["cwd"])

    from sluice.runtime import ExecutorInputError, execute

    try:
        execute(request["executor_input"], request["function_name"], module_path)
    except ExecutorInputError as error:
        sys.stderr.write(f"sluice.runtime: error: {error}\n")
        return 2
    except SystemExit as exit_request:
        code = exit_request.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
        return 1
    return 0


def _child_main(request: dict[str, Any], keep_fds: tuple[int, ...]) -> None:
    code = 1
    try:
        code = _run_task(request, keep_fds)
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def main() -> None:
    set_parent_death_signal()
    # Ctrl-C reaches the whole terminal process group: the engine decides what to kill, not us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Warm the imports every task needs before the first fork.
    import sluice.runtime._executor  # noqa: F401

    requests_fd = sys.stdin.fileno()
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    selector = selectors.DefaultSelector()
    selector.register(requests_fd, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    children: dict[int, str] = {}
    pending = b""
    keep_fds = (requests_fd, replies.fileno(), wake_read, wake_write)

    def reap() -> None:
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            key = children.pop(pid, None)
            if key is not None:
                replies.write(json.dumps({"exited": key, "pid": pid, "status": status}) + "\n")

    while True:
        for selected, _ in selector.select():
            if selected.fd == wake_read:
                with contextlib.suppress(BlockingIOError):
                    os.read(wake_read, 4096)
                reap()
                continue
            chunk = os.read(requests_fd, 1 << 20)
            if not chunk:
                for pid in list(children):
                    with contextlib.suppress(OSError):
                        os.killpg(pid, signal.SIGKILL)
                os._exit(0)
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if not line.strip():
                    continue
                request = json.loads(line)
                pid = os.fork()
                if pid == 0:
                    _child_main(request, keep_fds)
                children[pid] = request["key"]
                replies.write(json.dumps({"started": request["key"], "pid": pid}) + "\n")
        reap()


if __name__ == "__main__":
    main()
