"""Launchers run one resolved task each; the engine decides what runs when.

:class:`Launcher` is the interface (launch, wait, kill, close); :class:`LocalLauncher` runs processes on
this machine, Python function tasks through a pre-started fork server. What a task's environment starts
from is a policy of its own (``_environment``): the user's for ``sluice run``, a clean one for a service.
"""

from __future__ import annotations

from sluice.launchers._environment import (
    TASK_ENV_ALLOW_VARIABLE,
    check_task_env_names,
    clean_environment,
    personal_environment,
    task_env_names_from_environment,
)
from sluice.launchers._interface import Exit, Launcher, LaunchHandle, LaunchSpec, PythonCall
from sluice.launchers._local import LocalLauncher, kill_process_group

__all__ = [
    "TASK_ENV_ALLOW_VARIABLE",
    "Exit",
    "LaunchHandle",
    "LaunchSpec",
    "Launcher",
    "LocalLauncher",
    "PythonCall",
    "check_task_env_names",
    "clean_environment",
    "kill_process_group",
    "personal_environment",
    "task_env_names_from_environment",
]
