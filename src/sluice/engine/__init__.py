"""The engine: runs a compiled pipeline (any KFP PipelineSpec) on this machine and records it in the store.

``run_pipeline`` (``sluice.run``) runs one to its end and returns a :class:`RunResult`;
``create_run`` records a new run and ``drive_run`` claims a recorded run and drives it (a new one, or one whose
engine died or a :class:`StopToken` stopped; ``resume_run`` is its name for the CLI's ``--resume``); ``terminate_run`` cancels a run another process drives;
``load_run_result`` and ``list_runs`` read runs back. Tasks run through a :mod:`sluice.launchers` launcher.

Each name is imported on first use, so reading runs back (``sluice runs list``) does not load the machinery
that runs them (launchers, the CEL library, the IR's validation).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sluice.engine._api import create_run, drive_run, resume_run, run_pipeline, terminate_run
    from sluice.engine._arguments import parse_arguments
    from sluice.engine._context import EngineOptions
    from sluice.engine._errors import (
        EngineError,
        LauncherUnavailableError,
        PipelineInputError,
        RunFailedError,
        TaskError,
    )
    from sluice.engine._observer import RunObserver
    from sluice.engine._resources import Capacity, detect_capacity, parse_cpu, parse_memory, resource_request
    from sluice.engine._result import RunResult, RunSummary, TaskResult, list_runs, load_run_result
    from sluice.engine._stop import StopToken
    from sluice.engine._workspace import Workspace

__all__ = [
    "Capacity",
    "EngineError",
    "EngineOptions",
    "LauncherUnavailableError",
    "PipelineInputError",
    "RunFailedError",
    "RunObserver",
    "RunResult",
    "RunSummary",
    "StopToken",
    "TaskError",
    "TaskResult",
    "Workspace",
    "create_run",
    "detect_capacity",
    "drive_run",
    "list_runs",
    "load_run_result",
    "parse_arguments",
    "parse_cpu",
    "parse_memory",
    "resource_request",
    "resume_run",
    "run_pipeline",
    "terminate_run",
]

_MODULES = {
    "Capacity": "_resources",
    "EngineError": "_errors",
    "EngineOptions": "_context",
    "LauncherUnavailableError": "_errors",
    "PipelineInputError": "_errors",
    "RunFailedError": "_errors",
    "RunObserver": "_observer",
    "RunResult": "_result",
    "RunSummary": "_result",
    "StopToken": "_stop",
    "TaskError": "_errors",
    "TaskResult": "_result",
    "Workspace": "_workspace",
    "create_run": "_api",
    "detect_capacity": "_resources",
    "drive_run": "_api",
    "list_runs": "_result",
    "load_run_result": "_result",
    "parse_arguments": "_arguments",
    "parse_cpu": "_resources",
    "parse_memory": "_resources",
    "resource_request": "_resources",
    "resume_run": "_api",
    "run_pipeline": "_api",
    "terminate_run": "_api",
}


def __getattr__(name: str) -> object:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'sluice.engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"sluice.engine.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
