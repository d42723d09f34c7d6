"""What serving operations raise; the REST layer turns each kind into its HTTP status."""

from __future__ import annotations

__all__ = ["Conflict", "FailedPrecondition", "InvalidRequest", "NotFound", "ServingError"]


class ServingError(Exception):
    """A deployment operation that was refused; the message says what and why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequest(ServingError):
    """The request itself is wrong (a bad name, model reference, predictor, percentage ...)."""


class NotFound(ServingError):
    """No such deployment, revision, run, task or output."""


class Conflict(ServingError):
    """The name is taken."""


class FailedPrecondition(ServingError):
    """The deployment is not in a state that allows this (e.g. promote without a canary)."""
