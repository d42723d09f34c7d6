"""The local launcher: every task attempt is a process (group) on this machine.

Python function tasks that run on the engine's own interpreter go through the fork server (about a
millisecond to start); everything else (container commands on the host, tasks in a virtual environment)
is a plain subprocess. Each attempt leads its own process group, so a kill takes its children too.
Exits are noticed without polling: a pidfd per subprocess and the fork server's pipe share one selector.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sluice.launchers._interface import Exit, LaunchError, LaunchHandle, LaunchSpec, Started

if TYPE_CHECKING:
    from sluice.sandbox import SandboxSpec

__all__ = ["LocalLauncher", "kill_process_group"]


def kill_process_group(pid: int, signal_number: int = signal.SIGKILL) -> bool:
    """Send ``signal_number`` to the process group led by ``pid``; False if it no longer exists."""
    try:
        os.killpg(pid, signal_number)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    return True


def _exit_from_status(handle: LaunchHandle, status: int) -> Exit:
    if os.WIFSIGNALED(status):
        return Exit(handle, None, os.WTERMSIG(status))
    return Exit(handle, os.waitstatus_to_exitcode(status))


@dataclass
class _Subprocess:
    handle: LaunchHandle
    popen: subprocess.Popen[bytes]
    pidfd: int | None
    sandboxed: SandboxSpec | None = None  # the attempt's sandbox, to explain how it ended
    log_path: str = ""
    deadline: float | None = None  # time.monotonic() past which its profile's wall time is spent
    overran: bool = False
    made: tuple[str, ...] = ()  # folders made for this attempt only (its sandbox's per-attempt volumes)


class _ForkServer:
    """The engine's end of the fork server's pipes. The tasks it forks inherit its environment: it is
    started with the launcher's base environment, never the engine's own."""

    def __init__(self, base_env: Mapping[str, str]) -> None:
        self.base_env = dict(base_env)
        env = dict(base_env)
        # The server must import this very Sluice, whatever the working directory holds.
        package_parent = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sluice.launchers._forkserver"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            close_fds=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.requests = self.process.stdin
        self.replies_fd = self.process.stdout.fileno()
        os.set_blocking(self.replies_fd, False)
        self.buffer = b""

    def send(self, spec: LaunchSpec) -> None:
        call = spec.python_call
        assert call is not None
        request = {
            "key": spec.key,
            "executor_input": call.executor_input,
            "function_name": call.function_name,
            "module_source": call.module_source,
            "module_path": call.module_path,
            "cwd": spec.cwd,
            "env": spec.env,
            "log_path": spec.log_path,
        }
        self.requests.write(json.dumps(request).encode() + b"\n")
        self.requests.flush()

    def buffered_replies(self) -> list[dict[str, object]]:
        """Complete replies already read (a launch may have read past its own "started" line)."""
        if b"\n" not in self.buffer:
            return []
        *lines, self.buffer = self.buffer.split(b"\n")
        return [json.loads(line) for line in lines if line.strip()]

    def read_replies(self) -> list[dict[str, object]]:
        try:
            chunk = os.read(self.replies_fd, 1 << 20)
        except BlockingIOError:
            return self.buffered_replies()
        if not chunk:
            raise RuntimeError("the fork server stopped unexpectedly")
        self.buffer += chunk
        return self.buffered_replies()

    def read_reply_blocking(self) -> dict[str, object]:
        """The next reply, waiting for it (used right after a launch, to learn the pid)."""
        while True:
            if b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                reply: dict[str, object] = json.loads(line)
                return reply
            selector = selectors.DefaultSelector()
            selector.register(self.replies_fd, selectors.EVENT_READ)
            selector.select()
            selector.close()
            try:
                chunk = os.read(self.replies_fd, 1 << 20)
            except BlockingIOError:
                continue
            if not chunk:
                raise RuntimeError("the fork server stopped unexpectedly")
            self.buffer += chunk

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.requests.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


# The fork server started ahead of the launcher that will use it (start_fork_server_early), if any.
_early: list[_ForkServer] = []


def start_fork_server_early(base_env: Mapping[str, str]) -> None:
    """Start the fork server for the next :class:`LocalLauncher` with this ``base_env`` now, so that its start
    (an interpreter and the runtime's imports, ~60 ms) overlaps what the caller does meanwhile: a one-shot
    ``sluice run`` starts it before importing the engine. One that no launcher takes stops at exit."""
    if not _early:
        _early.append(_ForkServer(base_env))
        atexit.register(_close_early)


def _close_early() -> None:
    while _early:
        _early.pop().close()


def _take_early(base_env: Mapping[str, str]) -> _ForkServer | None:
    if _early and _early[0].base_env == base_env and _early[0].process.poll() is None:
        return _early.pop()
    return None


class LocalLauncher:
    """A :class:`~sluice.launchers.Launcher` for this machine."""

    def __init__(self, use_fork_server: bool = True, base_env: Mapping[str, str] | None = None) -> None:
        """``base_env``: what every task's environment starts from, its ``LaunchSpec.env`` added on top
        (default: this process's environment; see ``sluice.launchers.clean_environment``)."""
        self._use_fork_server = use_fork_server
        self._base_env = dict(os.environ if base_env is None else base_env)
        self._fork_server: _ForkServer | None = None
        self._selector = selectors.DefaultSelector()
        self._subprocesses: dict[int, _Subprocess] = {}  # by pid
        self._forked: dict[str, LaunchHandle] = {}  # by key
        self._early_exits: list[Exit] = []

    @property
    def remote(self) -> bool:
        return False

    def started(self) -> list[Started]:
        return []  # every launch starts at once

    # ------------------------------------------------------------------ launching

    def launch(self, spec: LaunchSpec) -> LaunchHandle:
        call = spec.python_call
        if spec.sandbox is not None:
            return self._launch_sandboxed(spec)
        if call is not None and call.python is None and self._use_fork_server:
            return self._launch_forked(spec)
        if call is not None:
            if call.module_source is not None:
                with open(call.module_path, "w", encoding="utf-8") as module_file:
                    module_file.write(call.module_source)
            spec = spec.replace(argv=call.argv(call.python or sys.executable))
        return self._launch_subprocess(spec)

    def _server(self) -> _ForkServer:
        if self._fork_server is None:
            self._fork_server = _take_early(self._base_env) or _ForkServer(self._base_env)
            self._selector.register(self._fork_server.replies_fd, selectors.EVENT_READ, "fork-server")
        return self._fork_server

    def _launch_forked(self, spec: LaunchSpec) -> LaunchHandle:
        server = self._server()
        server.send(spec)
        # The pid comes back at once; exits that arrive meanwhile are kept for the next wait().
        while True:
            reply = server.read_reply_blocking()
            if reply.get("started") == spec.key:
                pid = reply["pid"]
                assert isinstance(pid, int)
                handle = LaunchHandle(spec.key, pid)
                self._forked[spec.key] = handle
                return handle
            self._early_exits.extend(self._exit_from_reply(reply))

    def _launch_sandboxed(self, spec: LaunchSpec) -> LaunchHandle:
        """Any task (a Python function too: no fork server) as a subprocess inside its sandbox."""
        from sluice.sandbox._launch import sandboxed_launch

        sandbox = spec.sandbox
        assert sandbox is not None
        call = spec.python_call
        if call is not None and call.module_source is not None:
            with open(call.module_path, "w", encoding="utf-8") as module_file:
                module_file.write(call.module_source)
        argv = call.argv(call.python or sys.executable) if call is not None else spec.argv
        from sluice.sandbox import SandboxUnavailableError

        try:
            prepared = sandboxed_launch(argv, sandbox, {**self._base_env, **spec.env}, call)
        except (SandboxUnavailableError, OSError, ValueError) as error:
            raise LaunchError(f"cannot make the task's sandbox: {error}") from None
        handle = self._launch_subprocess(
            spec.replace(argv=prepared.argv, env=prepared.env, cwd="/"),
            base_env={},
        )
        process = self._subprocesses.get(handle.pid)
        if process is None:  # it could not start: nothing will reap it
            from sluice.sandbox._launch import remove_made_folders

            remove_made_folders(prepared.made)
        else:
            process.made = prepared.made
            process.sandboxed = sandbox
            process.log_path = spec.log_path
            wall = sandbox.profile.wall_seconds
            process.deadline = time.monotonic() + wall if wall else None
        return handle

    def _launch_subprocess(self, spec: LaunchSpec, base_env: Mapping[str, str] | None = None) -> LaunchHandle:
        env = {**(self._base_env if base_env is None else base_env), **spec.env}
        with open(spec.log_path, "ab") as log:
            try:
                popen = subprocess.Popen(
                    spec.argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=spec.cwd,
                    env=env,
                    start_new_session=True,
                    close_fds=True,
                )
            except OSError as error:
                # A missing program is a task failure, reported like any other exit.
                log.write(f"sluice: cannot start {spec.argv[:1]}: {error}\n".encode())
                handle = LaunchHandle(spec.key, -1)
                self._early_exits.append(Exit(handle, 127))
                return handle
        handle = LaunchHandle(spec.key, popen.pid)
        pidfd: int | None = None
        try:
            pidfd = os.pidfd_open(popen.pid)
            self._selector.register(pidfd, selectors.EVENT_READ, popen.pid)
        except (AttributeError, OSError):
            pidfd = None  # no pidfd support: wait() polls these
        self._subprocesses[popen.pid] = _Subprocess(handle, popen, pidfd)
        return handle

    # ------------------------------------------------------------------ waiting

    def _exit_from_reply(self, reply: dict[str, object]) -> list[Exit]:
        key = reply.get("exited")
        if not isinstance(key, str):
            return []
        handle = self._forked.pop(key, None)
        status = reply.get("status")
        assert isinstance(status, int)
        if handle is None:
            pid = reply.get("pid")
            handle = LaunchHandle(key, pid if isinstance(pid, int) else -1)
        return [_exit_from_status(handle, status)]

    def _reap(self, pid: int) -> Exit | None:
        process = self._subprocesses[pid]
        if process.popen.poll() is None:
            return None
        del self._subprocesses[pid]
        if process.pidfd is not None:
            self._selector.unregister(process.pidfd)
            os.close(process.pidfd)
        code = process.popen.returncode
        ended = Exit(process.handle, None, -code) if code < 0 else Exit(process.handle, code)
        if process.made:
            from sluice.sandbox._launch import remove_made_folders

            remove_made_folders(process.made)
        if process.sandboxed is not None:
            from sluice.sandbox._launch import remove_escapes

            escape = remove_escapes(process.sandboxed)
            if escape is not None and ended.succeeded:
                return Exit(
                    process.handle,
                    ended.exit_code,
                    None,
                    f"output {escape} is a symbolic link out of the task's folder or a special file: refused",
                )
        if process.sandboxed is not None and not ended.succeeded:
            from sluice.sandbox._launch import explain_exit

            error = explain_exit(
                process.sandboxed, ended.exit_code, ended.signal, process.log_path, process.overran
            )
            if error is not None:
                ended = Exit(process.handle, ended.exit_code, ended.signal, error)
        return ended

    def wait(self, timeout: float | None) -> list[Exit]:
        exits, self._early_exits = self._early_exits, []
        if self._fork_server is not None:
            # Lines read ahead while waiting for a launch's pid would never wake the selector.
            for reply in self._fork_server.buffered_replies():
                exits.extend(self._exit_from_reply(reply))
        if exits:
            timeout = 0
        polled = [pid for pid, process in self._subprocesses.items() if process.pidfd is None]
        if polled and (timeout is None or timeout > 0.05):
            timeout = 0.05
        timeout = self._enforce_wall_time(timeout)
        if not self._selector.get_map():
            if timeout:
                time.sleep(timeout)
        else:
            for selected, _ in self._selector.select(timeout):
                if selected.data == "fork-server":
                    assert self._fork_server is not None
                    for reply in self._fork_server.read_replies():
                        exits.extend(self._exit_from_reply(reply))
                else:
                    ended = self._reap(selected.data)
                    if ended is not None:
                        exits.append(ended)
        for pid in polled:
            ended = self._reap(pid)
            if ended is not None:
                exits.append(ended)
        return exits

    def _enforce_wall_time(self, timeout: float | None) -> float | None:
        """Kill sandboxed attempts past their profile's wall time; the wait ends by the next deadline."""
        now = time.monotonic()
        for process in self._subprocesses.values():
            if process.deadline is None or process.overran:
                continue
            if process.deadline <= now:
                process.overran = True
                kill_process_group(process.handle.pid)
            else:
                left = process.deadline - now
                timeout = left if timeout is None else min(timeout, left)
        return timeout

    # ------------------------------------------------------------------ stopping

    def kill(self, handle: LaunchHandle) -> None:
        if handle.pid > 0:
            kill_process_group(handle.pid)

    @property
    def running(self) -> int:
        return len(self._subprocesses) + len(self._forked)

    def close(self) -> None:
        for process in list(self._subprocesses.values()):
            kill_process_group(process.handle.pid)
        for handle in list(self._forked.values()):
            kill_process_group(handle.pid)
        for pid in list(self._subprocesses):
            self._subprocesses[pid].popen.wait()
            self._reap(pid)
        if self._fork_server is not None:
            self._fork_server.close()
            self._fork_server = None
        self._selector.close()
