"""Errors the engine raises: each names the task and the field at fault."""

from __future__ import annotations

from typing import Any

from sluice._errors import SluiceError

__all__ = ["EngineError", "LauncherUnavailableError", "PipelineInputError", "RunFailedError", "TaskError"]


class EngineError(SluiceError):
    """A run cannot start or go on (bad pipeline file, unknown run, run owned by a live engine, ...)."""


class LauncherUnavailableError(EngineError):
    """The launcher a run asks for cannot be used (Ray missing or unreachable, artifact root not shared)."""


class PipelineInputError(EngineError, ValueError):
    """A pipeline argument is missing, unknown or of the wrong type; ``input`` names it (None when the
    problem is not one input's), ``problem`` says what is wrong without naming it."""

    def __init__(self, message: str, *, input: str | None = None, problem: str | None = None) -> None:
        super().__init__(message)
        self.input = input
        self.problem = problem if problem is not None else message


class RunFailedError(EngineError):
    """A run ended other than SUCCEEDED (``RunResult.raise_for_state()``); ``result`` is its RunResult."""

    def __init__(self, result: Any) -> None:
        error = f": {result.error}" if result.error else ""
        super().__init__(f"run {result.run_id} ({result.display_name}) ended {result.state}{error}")
        self.result = result


class TaskError(SluiceError):
    """One task cannot run or its results are unusable; ``task`` is its path in the run."""

    def __init__(self, task: str, message: str) -> None:
        super().__init__(f"task {task!r}: {message}")
        self.task = task
        self.message = message
