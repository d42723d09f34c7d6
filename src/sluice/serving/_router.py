"""The stable URL: ``/serving/{namespace}/{name}/...`` on ``sluice up``, routed to a ready replica.

For each request the router picks the revision (the canary's share exactly, spread evenly: every request
adds the canary's percentage to a credit, and each time the credit reaches 100 the canary takes one), then
the ready replica of that revision with the fewest requests in flight, and forwards the request over a
pooled keep-alive connection. Only KServe's V1 and V2 inference, readiness and metadata routes pass; the
model server's other routes (model repository load/unload, metrics, docs) are not reachable from outside.

A replica that does not answer at all (it crashed, or is restarting) is marked and skipped, and the request
goes to another ready replica; predictions are taken to be free of side effects, so sending one again is
safe. When a revision has no ready replica the request waits for one (up to ``hold_s``) rather than fail
at once, as KServe's activator does. Errors the router itself gives are KServe's shape, ``{"error": ...}``.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from typing import Any

from starlette.types import Receive, Scope, Send

from sluice.serving._metrics import ServingMetrics
from sluice.serving._routing import RevisionRoute, Route, RoutingTable
from sluice.serving._upstream import Upstream, UpstreamError

__all__ = ["REVISION_HEADER", "ServingRouter"]

PREFIX = "/serving/"
REVISION_HEADER = b"x-sluice-revision"
MAX_BODY_BYTES = 32 * 1024 * 1024
_POLL_S = 0.02

_SEGMENT = r"[^/]+"
_VERSIONED = rf"/v2/models/{_SEGMENT}(?:/versions/{_SEGMENT})?"
# KServe's data plane routes, by method.
_ROUTES: dict[str, re.Pattern[str]] = {
    "GET": re.compile(
        rf"^(?:/v1/models/?|/v1/models/[^/:]+|/v2/?|/v2/health/(?:live|ready)|/v2/models/?"
        rf"|{_VERSIONED}|{_VERSIONED}/ready)$"
    ),
    "POST": re.compile(rf"^(?:/v1/models/{_SEGMENT}:(?:predict|explain)|{_VERSIONED}/infer)$"),
}
# Hop-by-hop fields, those the router sets itself, and credentials: a token or session cookie meant for
# the service never reaches model code.
_DROPPED_REQUEST_HEADERS = frozenset(
    {
        b"authorization",
        b"proxy-authorization",
        b"cookie",
        b"host",
        b"content-length",
        b"transfer-encoding",
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"upgrade",
        b"expect",
    }
)
_DROPPED_RESPONSE_HEADERS = frozenset(
    {b"content-length", b"transfer-encoding", b"connection", b"keep-alive", b"date", b"server"}
)


class _RequestError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ServingRouter:
    """An ASGI application for the paths under ``/serving/``; ``table`` returns the current routing table,
    ``on_broken`` is told about a replica that did not answer."""

    def __init__(
        self,
        table: Callable[[], RoutingTable],
        metrics: ServingMetrics,
        *,
        on_broken: Callable[[Upstream], None] = lambda upstream: None,
        hold_s: float = 10.0,
        timeout_s: float = 60.0,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self._table = table
        self._metrics = metrics
        self._on_broken = on_broken
        self._hold_s = hold_s
        self._timeout_s = timeout_s
        self._max_body_bytes = max_body_bytes
        self._canary_credit: dict[str, int] = {}
        self._turn = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        route: Route | None = None
        revision = 0
        status = 500
        try:
            namespace, name, rest = _split(scope)
            route = self._table().get((namespace, name))
            if route is None:
                raise _RequestError(404, f"there is no deployment {name!r} in namespace {namespace!r}")
            method = scope["method"]
            pattern = _ROUTES.get(method)
            if pattern is None or not pattern.match(rest):
                elsewhere = any(other.match(rest) for other in _ROUTES.values())
                raise _RequestError(
                    405 if elsewhere else 404,
                    f"{method} {rest} is not a KServe V1/V2 inference, readiness or metadata route "
                    "(e.g. POST /v1/models/NAME:predict, POST /v2/models/NAME/infer, GET /v2/health/ready)",
                )
            body = await self._read_body(scope, receive)
            target = _target(scope)
            headers = [
                (name_, value) for name_, value in scope["headers"] if name_ not in _DROPPED_REQUEST_HEADERS
            ]
            revision, response = await self._forward(route, method.encode(), target, headers, body)
            status = response.status
            out_headers = [h for h in response.headers if h[0] not in _DROPPED_RESPONSE_HEADERS]
            out_headers.append((b"content-length", str(len(response.body)).encode()))
            out_headers.append((REVISION_HEADER, str(revision).encode()))
            await send({"type": "http.response.start", "status": status, "headers": out_headers})
            await send({"type": "http.response.body", "body": response.body})
        except _RequestError as error:
            status = error.status
            await _send_error(send, error.status, error.message)
        finally:
            if route is not None:
                self._metrics.record(route.deployment_id, revision, status, time.perf_counter() - started)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        for header, value in scope["headers"]:
            if header == b"content-length" and value.isdigit() and int(value) > self._max_body_bytes:
                raise _RequestError(413, self._too_large())
        parts: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _RequestError(400, "the client went away before sending the whole request")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._max_body_bytes:
                raise _RequestError(413, self._too_large())
            parts.append(chunk)
            if not message.get("more_body", False):
                return b"".join(parts)

    def _too_large(self) -> str:
        return f"the request body is larger than {self._max_body_bytes // (1024 * 1024)} MB"

    def _choose_revision(self, route: Route) -> RevisionRoute | None:
        chosen = route.current
        if route.canary is not None and route.canary_percent > 0:
            credit = self._canary_credit.get(route.deployment_id, 0) + route.canary_percent
            if credit >= 100:
                credit -= 100
                chosen = route.canary
            self._canary_credit[route.deployment_id] = credit
        # A revision with no replica up right now yields to the other one rather than fail the request.
        if chosen is not None and not _ready(chosen):
            other = route.canary if chosen is route.current else route.current
            if other is not None and _ready(other):
                return other
        return chosen

    def _choose_upstream(self, revision: RevisionRoute) -> Upstream | None:
        candidates = [
            upstream for upstream in revision.upstreams if not upstream.broken and not upstream.retired
        ]
        if not candidates:
            return None
        self._turn += 1
        start = self._turn % len(candidates)
        rotated = candidates[start:] + candidates[:start]
        return min(rotated, key=lambda upstream: upstream.in_flight)

    async def _forward(
        self, route: Route, method: bytes, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> tuple[int, Any]:
        deadline = time.monotonic() + self._hold_s
        last_error = ""
        while True:
            revision = self._choose_revision(route)
            upstream = self._choose_upstream(revision) if revision is not None else None
            if revision is None or upstream is None:
                if time.monotonic() >= deadline or not route.worth_waiting:
                    reason = route.waiting_reason or "it has no ready replica"
                    detail = f" (last error: {last_error})" if last_error else ""
                    raise _RequestError(503, f"deployment {route.name!r} cannot answer: {reason}{detail}")
                await asyncio.sleep(_POLL_S)
                route = self._table().get((route.namespace, route.name)) or route
                continue
            upstream.in_flight += 1
            try:
                response = await upstream.request(method, target, headers, body, self._timeout_s)
            except UpstreamError as error:
                last_error = str(error)
                if not error.retryable:
                    raise _RequestError(
                        502 if "answer within" not in last_error else 504, last_error
                    ) from None
                upstream.broken = True
                self._on_broken(upstream)
                if time.monotonic() >= deadline:
                    raise _RequestError(503, f"no replica of {route.name!r} answered: {last_error}") from None
                route = self._table().get((route.namespace, route.name)) or route
                continue
            finally:
                upstream.in_flight -= 1
            return revision.number, response


def _ready(revision: RevisionRoute) -> bool:
    return any(not upstream.broken and not upstream.retired for upstream in revision.upstreams)


def _split(scope: Scope) -> tuple[str, str, str]:
    """``/serving/{namespace}/{name}{rest}`` → namespace, name and the model server's path."""
    path: str = scope["path"]  # the whole path: Starlette's Mount keeps it, setting root_path aside
    parts = path[len(PREFIX) :].split("/", 2) if path.startswith(PREFIX) else []
    if len(parts) < 3 or not parts[0] or not parts[1]:
        raise _RequestError(
            404, "a deployment's URL is /serving/NAMESPACE/NAME/, followed by a KServe V1 or V2 path"
        )
    return parts[0], parts[1], "/" + parts[2]


def _target(scope: Scope) -> bytes:
    """The request target for the replica: the path after the deployment's prefix, as the client sent it."""
    raw: bytes = scope.get("raw_path") or scope["path"].encode()
    # Skip b"/serving/{namespace}/{name}" (three slashes in).
    cut = -1
    for _ in range(4):
        cut = raw.index(b"/", cut + 1)
    target = raw[cut:]
    query: bytes = scope.get("query_string", b"")
    return target + b"?" + query if query else target


async def _send_error(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
