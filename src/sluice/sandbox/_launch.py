"""What the local launcher asks of the sandbox: the wrapped command of one attempt, and why it ended."""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sluice.sandbox._bwrap import WORK_FOLDER, Mount, SandboxSpec, sandbox_command

if TYPE_CHECKING:
    from sluice.launchers import PythonCall

__all__ = ["SandboxedCommand", "explain_exit", "remove_escapes", "remove_made_folders", "sandboxed_launch"]

_OUT_OF_MEMORY = ("MemoryError", "Cannot allocate memory", "std::bad_alloc", "out of memory")


@dataclass(frozen=True)
class SandboxedCommand:
    argv: list[str]
    env: dict[str, str]
    made: tuple[str, ...] = ()  # per-attempt folders, removed when it ends (remove_made_folders)


def _private_folder(files: tuple[tuple[str, bytes], ...], uid: int | None) -> str:
    """A folder only the engine's user (and the task's uid) can reach, outside the artifact root."""
    folder = tempfile.mkdtemp(prefix="sluice-volume-")
    for key, value in files:
        if "/" in key or key in {"", ".", ".."}:
            continue
        descriptor = os.open(os.path.join(folder, key), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
        with os.fdopen(descriptor, "wb") as target:
            target.write(value)
    if uid is not None:
        _chown_tree(folder, uid)
    return folder


def _chown_tree(path: str, uid: int) -> None:
    """Give the task's uid what it writes (folders the engine made as root)."""
    if not os.path.lexists(path):
        os.makedirs(path, exist_ok=True)
    os.chown(path, uid, uid, follow_symlinks=False)
    if os.path.isdir(path) and not os.path.islink(path):
        for folder, folders, files in os.walk(path):
            for name in folders + files:
                os.chown(os.path.join(folder, name), uid, uid, follow_symlinks=False)


def sandboxed_launch(
    argv: list[str], sandbox: SandboxSpec, env: Mapping[str, str], call: PythonCall | None
) -> SandboxedCommand:
    """``argv`` wrapped in its sandbox, with the environment it runs with."""
    readable: list[str] = []
    if call is not None:
        readable.append(call.module_path)
        if call.python is not None:
            readable.append(os.path.dirname(os.path.dirname(os.path.abspath(call.python))))
    readable += [entry for entry in env.get("PYTHONPATH", "").split(os.pathsep) if entry]
    uid = sandbox.task_uid()
    made: list[str] = []
    mounts: list[Mount] = []
    for mount in sandbox.mounts:
        if mount.temporary:
            made.append(_private_folder(mount.files, uid))
            mount = Mount(mount.target, made[-1], read_only=mount.read_only)
        mounts.append(mount)
    sandbox = replace(sandbox, mounts=tuple(mounts))
    if uid is not None:
        for index, path in enumerate(sandbox.writable):
            # The task's own folder is small and partly made by the engine: always. Others (the run's
            # workspace) only when not the task's uid's yet: what its tasks make there is theirs already.
            if index == 0 or not os.path.isdir(path) or os.stat(path).st_uid != uid:
                _chown_tree(path, uid)
        for mount in sandbox.mounts:
            if (
                mount.source is not None
                and os.path.isdir(mount.source)
                and os.stat(mount.source).st_uid != uid
            ):
                _chown_tree(mount.source, uid)
    task_env = dict(env)
    task_env.update({"HOME": WORK_FOLDER, "TMPDIR": "/tmp", "PWD": WORK_FOLDER})
    if not sandbox.gpus:
        task_env["CUDA_VISIBLE_DEVICES"] = ""
    try:
        return SandboxedCommand(sandbox_command(argv, sandbox, readable), task_env, tuple(made))
    except BaseException:
        remove_made_folders(tuple(made))
        raise


def _log_tail(path: str, size: int = 8192) -> str:
    try:
        with open(path, "rb") as log:
            log.seek(max(0, os.path.getsize(path) - size))
            return log.read().decode("utf-8", "replace")
    except OSError:
        return ""


def explain_exit(
    sandbox: SandboxSpec, exit_code: int | None, signal_number: int | None, log_path: str, overran: bool
) -> str | None:
    """Why a sandboxed attempt failed, when one of its profile's limits ended it; else None."""
    profile = sandbox.profile
    named = f"(execution profile {profile.name!r})"
    if signal_number is None and exit_code is not None and exit_code > 128:
        signal_number = exit_code - 128  # bwrap reports a task killed by signal N as exit code 128 + N
    if overran and profile.wall_seconds:
        return f"wall time limit of {profile.wall_seconds:g}s exceeded {named}"
    if signal_number == signal.SIGXCPU and profile.cpu_seconds:
        return f"CPU time limit of {profile.cpu_seconds}s exceeded {named}"
    tail = _log_tail(log_path)
    # Python ignores SIGXFSZ: the write fails with EFBIG ("File too large") instead.
    if profile.file_size and (signal_number == signal.SIGXFSZ or "File too large" in tail):
        return f"file size limit of {profile.file_size} bytes exceeded {named}"
    if profile.memory is not None and any(sign in tail for sign in _OUT_OF_MEMORY):
        return f"out of memory: the task exceeded its memory limit of {profile.memory // 1024**2} MiB {named}"
    if signal_number is not None and exit_code is not None and exit_code > 128:
        try:
            return f"killed by {signal.Signals(signal_number).name}"
        except ValueError:
            return None
    return None


def remove_made_folders(folders: tuple[str, ...]) -> None:
    """Remove what was made for one attempt only (secret files, empty dirs) once it ended."""
    import shutil

    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def remove_escapes(sandbox: SandboxSpec) -> str | None:
    """Remove what a task may leave in its own folder to turn the engine (which reads its outputs and opens
    the next attempt's log as its own user) against others: symbolic links leading out of the folder, and
    FIFOs, sockets or device nodes. The first one found, or None."""
    import stat

    if not sandbox.writable:
        return None
    folder = os.path.realpath(sandbox.writable[0])
    found: str | None = None
    for parent, folders, files in os.walk(folder):
        for name in folders + files:
            path = os.path.join(parent, name)
            try:
                mode = os.lstat(path).st_mode
            except OSError:
                continue
            if stat.S_ISLNK(mode):
                target = os.path.realpath(path)
                if target == folder or target.startswith(folder + os.sep):
                    continue
            elif stat.S_ISREG(mode) or stat.S_ISDIR(mode):
                continue
            found = found or path
            with contextlib.suppress(OSError):
                os.unlink(path)
    return found
