"""Launchers run one resolved task each; the engine decides what runs when.

:class:`Launcher` is the interface (launch, wait, kill, close); :class:`LocalLauncher` runs processes on
this machine, Python function tasks through a pre-started fork server.
"""

from __future__ import annotations

from sluice.launchers._interface import Exit, Launcher, LaunchHandle, LaunchSpec, PythonCall
from sluice.launchers._local import LocalLauncher, kill_process_group

__all__ = [
    "Exit",
    "LaunchHandle",
    "LaunchSpec",
    "Launcher",
    "LocalLauncher",
    "PythonCall",
    "kill_process_group",
]
