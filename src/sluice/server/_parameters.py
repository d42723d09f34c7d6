"""A run's parameters checked against its pipeline's inputs when the run is created, so a wrong type is a
400 naming the input (as KFP's API server rejects it) rather than a run that fails at its first task.

The check is the engine's (``sluice.engine._arguments``, strict mode), so ``sluice.run()``, ``sluice run``
and the API accept and refuse the same values."""

from __future__ import annotations

from typing import Any

from sluice.engine._arguments import complete_parameters as complete_checked
from sluice.engine._errors import PipelineInputError
from sluice.ir import PipelineSpec
from sluice.server._errors import invalid_argument

__all__ = ["complete_parameters"]


def complete_parameters(spec: PipelineSpec, given: dict[str, Any] | None) -> dict[str, Any]:
    """The given parameters typed as the pipeline declares them, plus defaults; 400 on the first problem."""
    try:
        return complete_checked(spec, given, strict=True)
    except PipelineInputError as error:
        field = "runtime_config.parameters"
        if error.input is not None and not error.problem.startswith("missing"):
            field += f"[{error.input!r}]"
        raise invalid_argument(f"{field}: {error.problem}") from None
