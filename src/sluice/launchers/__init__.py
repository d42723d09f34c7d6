"""Launchers run one resolved task each; the engine decides what runs when.

:class:`Launcher` is the interface (launch, wait, kill, close); :class:`LocalLauncher` runs processes on
this machine, Python function tasks through a pre-started fork server. What a task's environment starts
from is a policy of its own (``_environment``): the user's for ``sluice run``, a clean one for a service.
:class:`RayLauncher` runs the same processes on the nodes of a Ray cluster (``pip install 'sluice[ray]'``;
Ray is imported only when it is chosen); :func:`open_launcher` makes the one a run asks for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from sluice._errors import SluiceError
from sluice.launchers._environment import (
    TASK_ENV_ALLOW_VARIABLE,
    check_task_env_names,
    clean_environment,
    personal_environment,
    task_env_names_from_environment,
)
from sluice.launchers._interface import (
    Exit,
    Launcher,
    LaunchError,
    LaunchHandle,
    LaunchSpec,
    PythonCall,
    Resources,
    Started,
)
from sluice.launchers._local import LocalLauncher, kill_process_group, start_fork_server_early

if TYPE_CHECKING:
    from sluice.launchers._ray import RayLauncher

__all__ = [
    "LAUNCHERS",
    "TASK_ENV_ALLOW_VARIABLE",
    "Exit",
    "LaunchError",
    "LaunchHandle",
    "LaunchSpec",
    "Launcher",
    "LauncherError",
    "LocalLauncher",
    "PythonCall",
    "RayLauncher",
    "Resources",
    "Started",
    "check_task_env_names",
    "clean_environment",
    "kill_process_group",
    "open_launcher",
    "personal_environment",
    "start_fork_server_early",
    "task_env_names_from_environment",
]

LAUNCHERS = ("local", "ray")


class LauncherError(SluiceError):
    """The chosen launcher cannot be used (the message says why and what to do)."""


def open_launcher(
    name: str = "local",
    *,
    artifact_root: str,
    ray_address: str | None = None,
    use_fork_server: bool = True,
    base_env: Mapping[str, str] | None = None,
) -> Launcher:
    """The launcher called ``name`` (``local`` or ``ray``), ready for a run whose outputs go to
    ``artifact_root``. ``ray_address``: the cluster (default ``$RAY_ADDRESS``, else a new local Ray).
    LauncherError when it cannot be used: Ray missing or unreachable, or a local artifact root with a
    cluster of several nodes. ``base_env``: what a local task's environment starts from (default: this
    process's); a Ray node's tasks start from that node's."""
    if name == "local":
        return LocalLauncher(use_fork_server=use_fork_server, base_env=base_env)
    if name == "ray":
        from sluice.launchers._ray import RayLauncher, RayLauncherError

        try:
            return RayLauncher(ray_address, artifact_root=artifact_root)
        except RayLauncherError as error:
            raise LauncherError(str(error)) from None
    raise LauncherError(f"unknown launcher {name!r} (choose one of: {', '.join(LAUNCHERS)})")


def __getattr__(name: str) -> object:
    if name == "RayLauncher":  # imported on first use: Ray is optional and slow to import
        from sluice.launchers._ray import RayLauncher

        return RayLauncher
    raise AttributeError(f"module 'sluice.launchers' has no attribute {name!r}")
