"""Launchers run one resolved task each; the engine decides what runs when.

:class:`Launcher` is the interface (launch, wait, kill, close, and what a launcher that runs tasks on other
machines adds: see ``_interface``); :class:`LocalLauncher` runs processes on this machine, Python function
tasks through a pre-started fork server; :class:`RayLauncher` runs the same processes on the nodes of a Ray
cluster (``pip install 'sluice[ray]'``; Ray is imported only when it is chosen). :func:`open_launcher`
makes the one a run asks for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
from sluice.launchers._local import LocalLauncher, kill_process_group

if TYPE_CHECKING:
    from sluice.launchers._ray import RayLauncher

__all__ = [
    "LAUNCHERS",
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
    "kill_process_group",
    "open_launcher",
]

LAUNCHERS = ("local", "ray")


class LauncherError(Exception):
    """The chosen launcher cannot be used (the message says why and what to do)."""


def open_launcher(
    name: str = "local",
    *,
    artifact_root: str,
    ray_address: str | None = None,
    use_fork_server: bool = True,
) -> Launcher:
    """The launcher called ``name`` (``local`` or ``ray``), ready for a run whose outputs go to
    ``artifact_root``. ``ray_address``: the cluster (default ``$RAY_ADDRESS``, else a new local Ray).
    LauncherError when it cannot be used: Ray missing or unreachable, or a local artifact root with a
    cluster of several nodes."""
    if name == "local":
        return LocalLauncher(use_fork_server=use_fork_server)
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
