"""API errors in KFP's shape: ``{"error": ..., "code": <gRPC code>, "message": ..., "details": []}``.

KFP's REST gateway turns gRPC status codes into HTTP statuses; the service raises :class:`ApiError` with both,
and every other failure (request validation, unknown routes, store errors) is translated here, so a client
always gets a body that says what was wrong.
"""

from __future__ import annotations

import logging
from enum import IntEnum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sluice.store import (
    ConflictError,
    IllegalTransitionError,
    InvalidReferenceError,
    NotFoundError,
    StoreError,
)

__all__ = [
    "ApiError",
    "GrpcCode",
    "already_exists",
    "error_body",
    "failed_precondition",
    "install_error_handlers",
    "invalid_argument",
    "not_found",
]

_log = logging.getLogger("sluice.server")


class GrpcCode(IntEnum):
    """The gRPC status codes KFP's API reports in ``code``."""

    OK = 0
    INVALID_ARGUMENT = 3
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    UNAUTHENTICATED = 16


# The HTTP status grpc-gateway gives each code.
_HTTP_STATUS = {
    GrpcCode.INVALID_ARGUMENT: 400,
    GrpcCode.NOT_FOUND: 404,
    GrpcCode.ALREADY_EXISTS: 409,
    GrpcCode.PERMISSION_DENIED: 403,
    GrpcCode.RESOURCE_EXHAUSTED: 413,
    GrpcCode.FAILED_PRECONDITION: 400,
    GrpcCode.UNIMPLEMENTED: 501,
    GrpcCode.INTERNAL: 500,
    GrpcCode.UNAVAILABLE: 503,
    GrpcCode.UNAUTHENTICATED: 401,
}


class ApiError(Exception):
    """A request the service refuses, with the gRPC code (and so HTTP status) that says why."""

    def __init__(self, code: GrpcCode, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status if status is not None else _HTTP_STATUS.get(code, 500)


def invalid_argument(message: str) -> ApiError:
    return ApiError(GrpcCode.INVALID_ARGUMENT, message)


def not_found(message: str) -> ApiError:
    return ApiError(GrpcCode.NOT_FOUND, message)


def already_exists(message: str) -> ApiError:
    return ApiError(GrpcCode.ALREADY_EXISTS, message)


def failed_precondition(message: str) -> ApiError:
    return ApiError(GrpcCode.FAILED_PRECONDITION, message)


def error_body(code: GrpcCode, message: str) -> dict[str, Any]:
    return {"error": message, "code": int(code), "message": message, "details": []}


def _response(error: ApiError) -> JSONResponse:
    return JSONResponse(error_body(error.code, error.message), status_code=error.status)


def api_error_from_store(error: StoreError) -> ApiError:
    """The API's view of a store failure: a missing row is 404, a duplicate 409, a bad reference 400."""
    if isinstance(error, NotFoundError):
        return not_found(str(error))
    if isinstance(error, ConflictError):
        return already_exists(str(error))
    if isinstance(error, InvalidReferenceError):
        return failed_precondition(str(error))
    if isinstance(error, IllegalTransitionError):
        return failed_precondition(str(error))
    return ApiError(GrpcCode.UNAVAILABLE, f"the database failed: {error}")


def _validation_message(error: RequestValidationError) -> str:
    problems = []
    for problem in error.errors()[:5]:
        location = ".".join(str(part) for part in problem.get("loc", ()) if part != "body")
        problems.append(f"{location or 'request'}: {problem.get('msg', 'invalid')}")
    return "invalid request: " + "; ".join(problems)


def install_error_handlers(app: FastAPI) -> None:
    """Make every error leave the service as a KFP-style body."""

    async def on_api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return _response(exc)

    async def on_store_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StoreError)
        return _response(api_error_from_store(exc))

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return _response(invalid_argument(_validation_message(exc)))

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = {404: GrpcCode.NOT_FOUND, 405: GrpcCode.UNIMPLEMENTED, 413: GrpcCode.RESOURCE_EXHAUSTED}.get(
            exc.status_code, GrpcCode.INVALID_ARGUMENT
        )
        message = str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such API path: {request.method} {request.url.path}"
        if exc.status_code == 405:
            message = f"method {request.method} is not allowed on {request.url.path}"
        return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        _log.exception("unexpected error serving %s %s", request.method, request.url.path)
        message = f"internal error: {type(exc).__name__}: {exc}"
        return JSONResponse(error_body(GrpcCode.INTERNAL, message), status_code=500)

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(StoreError, on_store_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)
