"""Running one command inside bubblewrap, as its profile says.

The command line is ``prlimit (limits) -- bwrap (namespaces, mounts) -- setpriv (an unprivileged uid) --
argv``. bwrap runs as the engine's user: as root it can bind any path however deep (an unprivileged user
namespace could not traverse a ``0700`` parent), and ``setpriv`` then drops to the namespace's uid with no
capabilities and ``no_new_privs``, so ``RLIMIT_NPROC`` counts that uid's processes and files owned by root
stay unreadable. Not as root, bwrap makes a user namespace and the task keeps the engine's uid.
"""

from __future__ import annotations

import os
import shutil
import sys
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from sluice.sandbox._profiles import Profile

__all__ = [
    "BWRAP",
    "WORK_FOLDER",
    "Mount",
    "SandboxSpec",
    "SandboxUnavailableError",
    "bwrap_path",
    "namespace_uid",
    "require_bwrap",
    "sandbox_command",
]

BWRAP = "bwrap"
WORK_FOLDER = "/tmp/work"  # the task's private, writable working folder (on its own tmpfs /tmp)
UID_BASE = 200_000  # sandboxed tasks of a namespace run as UID_BASE + a hash of its name (server as root)
UID_SPAN = 100_000
_SYSTEM_FOLDERS = ("/usr", "/etc", "/opt")
_MERGED_USR = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_GPU_SHARED_NODES = ("nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset")
# Where GPU device nodes are looked for (tests point it at fake nodes).
DEVICE_FOLDER_VARIABLE = "SLUICE_SANDBOX_DEVICE_DIR"


class SandboxUnavailableError(Exception):
    """bubblewrap is missing or cannot run here (the message says what to install)."""


@dataclass(frozen=True)
class Mount:
    """Something the task sees at ``target``: a host folder or file (``source``), or a fresh tmpfs."""

    target: str
    source: str | None = None  # None: a tmpfs
    read_only: bool = False
    size: int | None = None  # a tmpfs's size in bytes
    # A fresh private folder per attempt (holding ``files``), made at launch and removed when it ends.
    temporary: bool = False
    files: tuple[tuple[str, bytes], ...] = field(default=(), repr=False)  # never in a repr: secret values


@dataclass(frozen=True)
class SandboxSpec:
    """One attempt's sandbox: its profile, what it reads, what it writes, what else is mounted, its GPUs."""

    profile: Profile
    namespace: str = "default"
    readable: tuple[str, ...] = ()  # host paths bound read-only at the same path
    # Host paths bound writable at the same path, given to the task's uid: the task's own folder first.
    writable: tuple[str, ...] = ()
    mounts: tuple[Mount, ...] = ()
    gpus: tuple[int, ...] = ()
    uid: int | None = field(default=None)  # None: namespace_uid(namespace) when the engine runs as root

    def task_uid(self) -> int | None:
        """The uid the task runs as; None: the engine's own (not root, so it cannot switch)."""
        if os.geteuid() != 0:
            return None
        return self.uid if self.uid is not None else namespace_uid(self.namespace)


def namespace_uid(namespace: str) -> int:
    """The unprivileged uid (and gid) of a namespace's sandboxed tasks: the same on every run."""
    return UID_BASE + zlib.crc32(namespace.encode()) % UID_SPAN


BWRAP_VARIABLE = "SLUICE_BWRAP"  # the bwrap to use, where it is not on PATH (the admin's setting)


def bwrap_path() -> str | None:
    chosen = os.environ.get(BWRAP_VARIABLE)
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    return shutil.which(BWRAP) or (f"/usr/bin/{BWRAP}" if os.access(f"/usr/bin/{BWRAP}", os.X_OK) else None)


def require_bwrap() -> str:
    """bwrap's path; SandboxUnavailableError saying what to install when it is missing. A server that
    runs sandboxed profiles (multi-user mode) calls this at startup."""
    path = bwrap_path()
    missing = [tool for tool in ("prlimit", "setpriv") if shutil.which(tool) is None]
    if path is None or missing:
        what = ", ".join((["bwrap"] if path is None else []) + missing)
        raise SandboxUnavailableError(
            f"sandboxed execution profiles need bubblewrap ({what} not found"
            + (
                f"; ${BWRAP_VARIABLE} is {os.environ[BWRAP_VARIABLE]!r}"
                if os.environ.get(BWRAP_VARIABLE)
                else ""
            )
            + "): install it with "
            "'apt-get install bubblewrap util-linux' (Debian/Ubuntu) or 'dnf install bubblewrap util-linux' "
            "(Fedora/RHEL)"
        )
    return path


def _ancestors(path: str) -> list[str]:
    parts = PurePosixPath(path).parents
    return [str(parent) for parent in reversed(parts) if str(parent) != "/"]


def _python_folders() -> list[str]:
    """What ``python -m sluice.runtime`` needs besides /usr: this interpreter's environment and Sluice."""
    import sluice

    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(sluice.__file__)))
    folders = {os.path.realpath(sys.prefix), os.path.abspath(sys.prefix), package_parent}
    folders.add(os.path.realpath(sys.base_prefix))
    return sorted(folder for folder in folders if folder != "/usr" and not folder.startswith("/usr/"))


def _gpu_nodes(gpus: Iterable[int]) -> list[str]:
    folder = os.environ.get(DEVICE_FOLDER_VARIABLE, "/dev")
    wanted = [f"nvidia{index}" for index in gpus]
    if wanted:
        wanted += list(_GPU_SHARED_NODES)
    return [os.path.join(folder, name) for name in wanted if os.path.exists(os.path.join(folder, name))]


def _system_folder(folder: str, targets: list[str]) -> list[str]:
    """Bind a system folder read-only; when a volume goes where it has no entry (a secret at /etc/creds),
    make it a tmpfs holding read-only binds of each of its entries, so the mount point can be made."""
    missing = [
        target
        for target in targets
        if PurePosixPath(target).parent == PurePosixPath(folder) and not os.path.lexists(target)
    ]
    if not missing:
        return ["--ro-bind", folder, folder]
    args = ["--perms", "0755", "--tmpfs", folder]
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        else:
            args += ["--ro-bind", path, path]
    return args


def _limits(profile: Profile) -> list[str]:
    limits = []
    if profile.memory is not None:
        limits.append(f"--as={profile.memory}")
    if profile.cpu_seconds is not None:
        # SIGXCPU at the soft limit (a clear cause), SIGKILL a second later if it is ignored.
        limits.append(f"--cpu={profile.cpu_seconds}:{profile.cpu_seconds + 1}")
    if profile.processes is not None:
        limits.append(f"--nproc={profile.processes}")
    if profile.file_size is not None:
        limits.append(f"--fsize={profile.file_size}")
    return limits


def sandbox_command(argv: list[str], spec: SandboxSpec, extra_readable: Iterable[str] = ()) -> list[str]:
    """``argv`` wrapped to run inside ``spec``'s sandbox. SandboxUnavailableError without bubblewrap."""
    bwrap = require_bwrap()
    profile = spec.profile
    args: list[str] = [bwrap, "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    if profile.network == "none":
        args.append("--unshare-net")
    uid = spec.task_uid()
    if os.geteuid() != 0:
        args.append("--unshare-user")
    else:
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]  # for setpriv only, dropped there
    args += ["--die-with-parent", "--new-session"]
    remount: list[str] = []  # system folders made tmpfs for a mount point: read-only once it is made
    for folder in _SYSTEM_FOLDERS:
        if os.path.isdir(folder):
            bound = _system_folder(folder, [mount.target for mount in spec.mounts])
            if "--tmpfs" in bound:
                remount.append(folder)
            args += bound
    for folder in _MERGED_USR:
        if os.path.islink(folder):
            args += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            args += ["--ro-bind", folder, folder]
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--perms", "1777"]
    if profile.tmp_size is not None:
        args += ["--size", str(profile.tmp_size)]
    args += ["--tmpfs", "/tmp"]
    args += ["--perms", "0777", "--dir", WORK_FOLDER]
    binds: list[tuple[str, str, str]] = []  # (option, source, target)
    for path in [*_python_folders(), *extra_readable, *spec.readable]:
        if os.path.exists(path):
            binds.append(("--ro-bind", path, path))
    for path in spec.writable:
        binds.append(("--bind", path, path))
    for mount in spec.mounts:
        if mount.temporary and mount.source is None:
            raise ValueError(
                f"the per-attempt folder for {mount.target} was not made (sluice.sandbox._launch)"
            )
        if mount.source is None:
            binds.append(("--tmpfs", "", mount.target))
        else:
            binds.append(("--ro-bind" if mount.read_only else "--bind", mount.source, mount.target))
    created: set[str] = {"/tmp", WORK_FOLDER}
    for option, source, target in binds:
        for parent in _ancestors(target):
            # bwrap would make missing parents 0700 for root: the task's uid could not reach its paths.
            if parent not in created and not parent.startswith(("/usr/", "/etc/", "/proc/", "/dev/")):
                created.add(parent)
                args += ["--perms", "0755", "--dir", parent]
        if option == "--tmpfs":
            size = next((m.size for m in spec.mounts if m.target == target and m.source is None), None)
            if size is not None:
                args += ["--size", str(size)]
            args += ["--perms", "1777", "--tmpfs", target]
        else:
            args += [option, source, target]
        created.add(target)
    for node in _gpu_nodes(spec.gpus):
        args += ["--dev-bind", node, "/dev/" + os.path.basename(node)]
    for folder in remount:
        args += ["--remount-ro", folder]
    args += ["--chdir", WORK_FOLDER, "--"]
    if uid is not None:
        args += [
            "setpriv",
            f"--reuid={uid}",
            f"--regid={uid}",
            "--clear-groups",
            "--no-new-privs",
            "--bounding-set=-all",
            "--inh-caps=-all",
            "--",
        ]
    limits = _limits(profile)
    prefix = ["prlimit", *limits, "--"] if limits else []
    return [*prefix, *args, *argv]
