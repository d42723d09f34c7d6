"""The error ``sluice.Client`` raises when the service refuses a request."""

from __future__ import annotations

__all__ = ["ApiError"]


class ApiError(Exception):
    """The service answered with an error: ``status`` (HTTP), ``code`` (gRPC) and its ``message``."""

    def __init__(self, status: int, code: int, message: str, method: str = "", path: str = "") -> None:
        super().__init__(f"{status}: {message}" + (f" ({method} {path})" if method else ""))
        self.status = status
        self.code = code
        self.message = message
