"""The engine: runs a compiled pipeline (any KFP PipelineSpec) on this machine and records it in the store.

``run_pipeline`` (``sluice.run``) runs one to its end and returns a :class:`RunResult`;
``resume_run`` picks up a run whose engine died; ``terminate_run`` cancels a run another process drives;
``load_run_result`` and ``list_runs`` read runs back. Tasks run through a :mod:`sluice.launchers` launcher.
"""

from __future__ import annotations

from sluice.engine._api import Workspace, resume_run, run_pipeline, terminate_run
from sluice.engine._arguments import parse_arguments
from sluice.engine._context import EngineOptions
from sluice.engine._errors import EngineError, PipelineInputError, TaskError
from sluice.engine._observer import RunObserver
from sluice.engine._result import RunResult, RunSummary, TaskResult, list_runs, load_run_result

__all__ = [
    "EngineError",
    "EngineOptions",
    "PipelineInputError",
    "RunObserver",
    "RunResult",
    "RunSummary",
    "TaskError",
    "TaskResult",
    "Workspace",
    "list_runs",
    "load_run_result",
    "parse_arguments",
    "resume_run",
    "run_pipeline",
    "terminate_run",
]
