"""The runtime's own error: the task was started wrongly, as opposed to the component failing."""

from __future__ import annotations

from sluice._errors import SluiceError

__all__ = ["ExecutorInputError"]


class ExecutorInputError(SluiceError, ValueError):
    """The executor input, the command line or the function to execute is invalid.

    Raised before the component function runs; the command line exits with status 2 on it.
    """
