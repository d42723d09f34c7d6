"""Multi-user mode (``sluice up --multi-user``): who a request is from, what it may touch, and the audit log.

``Authentication`` (ASGI middleware) signs every ``/apis/`` and ``/serving/`` request in, from
``Authorization: Bearer TOKEN`` (what ``kfp.Client(existing_token=...)`` sends) or, from a trusted sign-in
proxy only, from the user header (``kubeflow-userid``); no identity is 401. It records every write in the
audit log once answered. ``authorize`` (a dependency of every API route) finds the namespace the request
touches, from the route's path parameters, query or body, and checks the caller's role there: reads need
view, writes edit; a namespace the caller is not in is 403 when they named it, and 404 when they named an
object inside it (its existence is not revealed). Lists without a namespace show the caller's namespaces.
Pipelines in the "" namespace are shared: every signed-in user reads them; writing them needs edit somewhere.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import unquote

from fastapi import Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sluice.auth import Directory, Identity, Role
from sluice.server._errors import ApiError, GrpcCode, error_body, invalid_argument, not_found
from sluice.store import EventType, Store
from sluice.store.models import (
    Artifact,
    Event,
    Execution,
    Experiment,
    Pipeline,
    PipelineVersion,
    RecurringRun,
    Run,
    Task,
)

__all__ = ["AccessPolicy", "Authentication", "authorize", "caller", "visible_namespaces"]

_log = logging.getLogger("sluice.server")
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_COOKIE = "sluice_token"
_RUN_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_OPEN_PATHS = frozenset({"/apis/v2beta1/healthz"})
# Counts of every namespace's runs and tasks: a platform admin's (a Prometheus scraper gets an admin's token).
_ADMIN_PATHS = frozenset({"/metrics"})
SHARED = ""  # the pipelines' shared namespace


@dataclass(frozen=True)
class AccessPolicy:
    """``trusted_user_header``: the sign-in proxy's user header, believed only from ``trusted_proxies``."""

    trusted_user_header: str | None = None
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def build(cls, header: str | None, proxies: Iterable[str]) -> AccessPolicy:
        networks = []
        for proxy in proxies:
            try:
                networks.append(ipaddress.ip_network(proxy, strict=False))
            except ValueError:
                raise ValueError(f"--trusted-proxy {proxy!r} is not an IP address or network") from None
        if header and not networks:
            raise ValueError(
                "--trusted-user-header needs --trusted-proxy: the addresses of the sign-in proxy"
            )
        return cls(header.lower() if header else None, tuple(networks))

    def trusts(self, address: str | None) -> bool:
        if not address:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted_proxies)


def _refusal(code: GrpcCode, message: str, status: int) -> tuple[int, bytes]:
    return status, json.dumps(error_body(code, message)).encode()


class Authentication:
    """Signs requests in (or answers 401) and audits writes."""

    def __init__(self, app: ASGIApp, *, directory: Directory, policy: AccessPolicy) -> None:
        self.app = app
        self.directory = directory
        self.policy = policy

    def _identify(self, scope: Scope) -> Identity | None:
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        client = scope.get("client")
        address = client[0] if client else None
        header = self.policy.trusted_user_header
        if header and header in headers and self.policy.trusts(address):
            # KFP's header carries "accounts.google.com:user@example.com"-style prefixes; the user is the last part.
            return self.directory.identity_of(headers[header].rsplit(":", 1)[-1].strip())
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return self.directory.authenticate(token.strip())
        if scope.get("method") in _READS and "cookie" in headers:
            # The UI's plain links (downloads, logs) cannot send a header; the cookie it sets (SameSite=Strict)
            # is believed for reads only, so a forged form can never write with it.
            cookies = SimpleCookie()
            cookies.load(headers["cookie"])
            morsel = cookies.get(_COOKIE)
            if morsel is not None and morsel.value:
                return self.directory.authenticate(unquote(morsel.value))
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        signed = path.startswith(("/apis/", "/serving/")) or path in _ADMIN_PATHS
        if scope["type"] != "http" or path in _OPEN_PATHS or not signed:
            await self.app(scope, receive, send)
            return
        identity = await run_in_threadpool(self._identify, scope)
        if identity is None:
            await self._send(
                send, *_refusal(GrpcCode.UNAUTHENTICATED, "sign in: send 'Authorization: Bearer TOKEN'", 401)
            )
            return
        state = scope.setdefault("state", {})
        state["identity"] = identity
        if path in _ADMIN_PATHS and not identity.is_admin:
            message = f"user {identity.name!r} may not read {path}: only a platform admin may"
            await self._send(send, *_refusal(GrpcCode.PERMISSION_DENIED, message, 403))
            return
        if path.startswith("/serving/"):
            namespace = path.split("/")[2] if path.count("/") >= 2 else ""
            if not identity.can(namespace, Role.VIEW):
                await self._send(send, *_refusal(GrpcCode.NOT_FOUND, f"no deployment at {path}", 404))
                return
        status = 0

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            if scope.get("method", "GET") not in _READS:
                route = scope.get("route")
                action = f"{scope['method']} {getattr(route, 'path', path)}"
                client = scope.get("client")
                try:
                    await run_in_threadpool(
                        self.directory.audit,
                        identity.name,
                        action,
                        namespace=str(state.get("namespace") or ""),
                        target=path,
                        source=client[0] if client else "",
                        status=status or 500,
                    )
                except Exception:
                    _log.exception("cannot write the audit log entry of %s", action)

    @staticmethod
    async def _send(send: Send, status: int, body: bytes) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if status == 401:
            headers.append((b"www-authenticate", b'Bearer realm="sluice"'))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def caller(request: Request) -> Identity | None:
    """The signed-in user (None in single-user mode)."""
    identity: Identity | None = getattr(request.state, "identity", None)
    return identity


def visible_namespaces(request: Request) -> list[str] | None:
    """The namespaces a list may show: None for any (single-user mode, a platform admin listing without a
    namespace), else the one asked for, or the caller's."""
    scope: list[str] | None = getattr(request.state, "list_namespaces", None)
    return scope


# ----------------------------------------------------------------------------------------------- authorization


class _Hidden(Exception):
    """The object exists in a namespace the caller cannot see: answered as if it did not exist."""


def _run_namespace(store: Store, run_id: str) -> str | None:
    with store.read_session() as session:
        return session.scalar(
            select(Experiment.namespace).join(Run, Run.experiment_id == Experiment.id).where(Run.id == run_id)
        )


def _experiment_namespace(store: Store, experiment_id: str) -> str | None:
    with store.read_session() as session:
        return session.scalar(select(Experiment.namespace).where(Experiment.id == experiment_id))


def _recurring_namespace(store: Store, recurring_run_id: str) -> str | None:
    with store.read_session() as session:
        return session.scalar(
            select(Experiment.namespace)
            .join(RecurringRun, RecurringRun.experiment_id == Experiment.id)
            .where(RecurringRun.id == recurring_run_id)
        )


def _pipeline_namespace(store: Store, pipeline_id: str) -> str | None:
    with store.read_session() as session:
        return session.scalar(select(Pipeline.namespace).where(Pipeline.id == pipeline_id))


def _version_namespace(store: Store, pipeline_id: object, version_id: object) -> str | None:
    """The namespace of the pipeline a run refers to ("" when shared; None when it names none)."""
    with store.read_session() as session:
        if isinstance(version_id, str) and version_id:
            return session.scalar(
                select(Pipeline.namespace)
                .join(PipelineVersion, PipelineVersion.pipeline_id == Pipeline.id)
                .where(PipelineVersion.id == version_id)
            )
        if isinstance(pipeline_id, str) and pipeline_id:
            return session.scalar(select(Pipeline.namespace).where(Pipeline.id == pipeline_id))
    return None


def _artifact_namespaces(store: Store, artifact_id: str) -> list[str] | None:
    """The namespaces of the runs that produced or used the artifact (None: no such artifact)."""
    with store.read_session() as session:
        if session.get(Artifact, artifact_id) is None:
            return None
        return list(
            session.scalars(
                select(Experiment.namespace)
                .join(Run, Run.experiment_id == Experiment.id)
                .join(Task, Task.run_id == Run.id)
                .join(Execution, Execution.task_id == Task.id)
                .join(Event, Event.execution_id == Execution.id)
                .where(Event.artifact_id == artifact_id, Event.type.in_([EventType.OUTPUT, EventType.INPUT]))
                .distinct()
            )
        )


def _execution_namespace(store: Store, execution_id: str) -> str | None:
    with store.read_session() as session:
        return session.scalar(
            select(Run.namespace)
            .join(Execution, Execution.run_id == Run.id)
            .where(Execution.id == execution_id)
        )


def _task_in_run(store: Store, run_id: str, task_id: str) -> bool:
    with store.read_session() as session:
        task = session.get(Task, task_id)
        return task is None or task.run_id == run_id


def _body_field(body: bytes, *names: str) -> Any:
    try:
        document = json.loads(body or b"{}")
    except ValueError:
        return None
    for name in names:
        if not isinstance(document, dict):
            return None
        document = document.get(name)
    return document


def _permission_denied(identity: Identity, namespace: str, needed: str) -> ApiError:
    role = identity.role_in(namespace)
    if role is None:
        return ApiError(
            GrpcCode.PERMISSION_DENIED, f"user {identity.name!r} is not a member of namespace {namespace!r}"
        )
    return ApiError(
        GrpcCode.PERMISSION_DENIED,
        f"user {identity.name!r} has the {role} role in namespace {namespace!r}; this needs {needed}",
    )


def _may_write_shared(identity: Identity) -> bool:
    return identity.is_admin or any(Role.at_least(role, Role.EDIT) for role in identity.roles.values())


def _resolve(  # noqa: PLR0917  (one rule per kind of route)
    store: Store, template: str, method: str, params: dict[str, str], query: dict[str, str], body: bytes
) -> tuple[str, str | None]:
    """What the request touches: ("object", namespace) for a named object (None: it does not exist, the
    handler says so), ("namespace", ns) for a namespace the caller named, ("shared", "") for shared
    pipelines, ("list", None) for a list without a namespace, ("any", None) for what every user may do."""
    if "run_id" in params:
        namespace = _run_namespace(store, params["run_id"])
        if (
            namespace is not None
            and "task_id" in params
            and not _task_in_run(store, params["run_id"], params["task_id"])
        ):
            raise _Hidden
        return "object", namespace
    if "recurring_run_id" in params:
        return "object", _recurring_namespace(store, params["recurring_run_id"])
    if "experiment_id" in params:
        return "object", _experiment_namespace(store, params["experiment_id"])
    if "artifact_id" in params:
        found = _artifact_namespaces(store, params["artifact_id"])
        if found is None:
            return "object", None
        return "artifact", json.dumps(found)
    pipeline_id = params.get("pipeline_id") or query.get("pipelineid") or query.get("pipeline_id")
    if pipeline_id and template.startswith("/apis/v2beta1/pipelines"):
        namespace = _pipeline_namespace(store, pipeline_id)
        if namespace == SHARED:
            return "shared", SHARED
        return "object", namespace
    if template.startswith("/apis/sluice/v1/deployments"):
        if method == "GET" and template == "/apis/sluice/v1/deployments" and not query.get("namespace"):
            return "list", None
        if method == "POST" and template == "/apis/sluice/v1/deployments":
            return "namespace", str(_body_field(body, "namespace") or "default")
        return "namespace", query.get("namespace") or "default"
    if template == "/apis/sluice/v1/revisions":
        if query.get("run_id"):
            return "object", _run_namespace(store, query["run_id"])
        if query.get("artifact_id"):
            found = _artifact_namespaces(store, query["artifact_id"])
            return ("object", None) if found is None else ("artifact", json.dumps(found))
        return "list", None
    if "execution_id" in params:
        return "object", _execution_namespace(store, params["execution_id"])
    if template == "/apis/sluice/v1/lineage":
        # The graph's centre decides; the walk itself shows only the caller's namespaces' runs.
        if query.get("artifact") and not query.get("execution"):
            found = _artifact_namespaces(store, query["artifact"])
            return ("object", None) if found is None else ("artifact", json.dumps(found))
        if query.get("execution") and not query.get("artifact"):
            return "object", _execution_namespace(store, query["execution"])
        return "any", None  # the handler refuses it (400)
    if method == "GET" and template in ("/apis/sluice/v1/artifacts", "/apis/sluice/v1/executions"):
        if query.get("run_id"):
            return "object", _run_namespace(store, query["run_id"])
        namespace = query.get("namespace")
        return ("namespace", namespace) if namespace else ("list", None)
    if method == "POST" and template == "/apis/v2beta1/experiments":
        namespace = _body_field(body, "namespace")
        if not namespace:
            raise invalid_argument("the experiment needs a namespace (multi-user mode)")
        return "namespace", str(namespace)
    if method == "POST" and template in ("/apis/v2beta1/runs", "/apis/v2beta1/recurringruns"):
        experiment_id = _body_field(body, "experiment_id") or query.get("experiment_id")
        if not experiment_id:
            raise invalid_argument(
                "experiment_id: name the run's experiment (multi-user mode): it sets the namespace"
            )
        namespace = _experiment_namespace(store, str(experiment_id))
        if namespace is None:
            raise not_found(f"experiment {experiment_id!r} does not exist")
        return "object", namespace
    if method == "POST" and template.startswith("/apis/v2beta1/pipelines"):
        namespace = _body_field(body, "namespace") or _body_field(body, "pipeline", "namespace")
        namespace = namespace or query.get("namespace") or SHARED
        return ("shared", SHARED) if namespace == SHARED else ("namespace", str(namespace))
    if template.startswith("/apis/v2beta1/pipelines"):
        namespace = query.get("namespace")
        return ("namespace", namespace) if namespace else ("shared", SHARED)
    if method == "GET" and template in (
        "/apis/v2beta1/experiments",
        "/apis/v2beta1/runs",
        "/apis/v2beta1/recurringruns",
        "/apis/sluice/v1/queue",
    ):
        if query.get("experiment_id"):
            return "object", _experiment_namespace(store, query["experiment_id"])
        namespace = query.get("namespace")
        return ("namespace", namespace) if namespace else ("list", None)
    if template.startswith("/apis/sluice/v1/namespaces/{namespace}"):
        # Members are the owners' to change; reading them needs a role there.
        return ("namespace", params["namespace"]) if method in _READS else ("owner", params["namespace"])
    if template in ("/apis/sluice/v1/me", "/apis/sluice/v1/models:upload", "/apis/sluice/v1/namespaces"):
        return "any", None
    return "admin", None


async def authorize(request: Request) -> None:
    """Refuse what the caller's roles do not allow (a dependency of every API route in multi-user mode)."""
    identity = caller(request)
    if identity is None:  # the middleware lets nothing through without one; be safe anyway
        raise ApiError(GrpcCode.UNAUTHENTICATED, "sign in: send 'Authorization: Bearer TOKEN'")
    route = request.scope.get("route")
    template = str(getattr(route, "path", request.url.path))
    method = request.method
    needed = Role.VIEW if method in _READS else Role.EDIT
    body = b""
    if method not in _READS and "json" in request.headers.get("content-type", "json"):
        # FastAPI read a JSON body already (cached); a multipart upload's stream is spent: its namespace
        # comes from the query.
        try:
            body = await request.body()
        except RuntimeError:
            body = b""
    store: Store = request.app.state.service.store
    try:
        kind, namespace = await run_in_threadpool(
            _resolve, store, template, method, dict(request.path_params), dict(request.query_params), body
        )
    except _Hidden:
        raise not_found(f"{request.url.path} does not exist") from None
    request.state.list_namespaces = None
    if method == "POST" and template.startswith("/apis/sluice/v1/deployments"):
        # A model named by its run (RUN_ID/TASK/OUTPUT, or a URI under that run's folder) is that run's
        # namespace's: deploying it needs view there.
        model = _body_field(body, "model")
        if isinstance(model, str):
            for run_id in _RUN_ID.findall(model):
                owner = await run_in_threadpool(_run_namespace, store, run_id)
                if owner is not None and not identity.can(owner, Role.VIEW):
                    raise not_found(f"model {model!r} does not exist")
    if method == "POST" and template in ("/apis/v2beta1/runs", "/apis/v2beta1/recurringruns"):
        # The pipeline it runs must be one the caller may read: shared, or of a namespace they are in.
        version_id = _body_field(body, "pipeline_version_reference", "pipeline_version_id")
        pipeline_id = _body_field(body, "pipeline_version_reference", "pipeline_id")
        owner = await run_in_threadpool(_version_namespace, store, pipeline_id, version_id)
        if owner and not identity.can(owner, Role.VIEW):
            raise not_found("the pipeline version does not exist")
    if kind == "object":
        if namespace is None:
            return  # the handler answers that it does not exist
        request.state.namespace = namespace
        if identity.role_in(namespace) is None:
            raise not_found(f"{request.url.path} does not exist")
        if not identity.can(namespace, needed):
            raise _permission_denied(identity, namespace, needed)
        request.state.list_namespaces = [namespace]
    elif kind == "artifact":
        namespaces = json.loads(namespace or "[]")
        if not identity.is_admin and not any(identity.can(ns, needed) for ns in namespaces):
            raise not_found(f"{request.url.path} does not exist")
    elif kind == "namespace":
        assert namespace is not None
        request.state.namespace = namespace
        if not identity.can(namespace, needed):
            raise _permission_denied(identity, namespace, needed)
        request.state.list_namespaces = [namespace]
    elif kind == "owner":
        assert namespace is not None
        request.state.namespace = namespace
        if identity.role_in(namespace) is None:
            raise not_found(f"namespace {namespace!r} does not exist")
        if not identity.can(namespace, Role.OWNER):
            raise _permission_denied(identity, namespace, Role.OWNER)
    elif kind == "shared":
        if needed != Role.VIEW and not _may_write_shared(identity):
            raise ApiError(
                GrpcCode.PERMISSION_DENIED,
                f"user {identity.name!r} may not change shared pipelines: that needs edit in a namespace",
            )
        request.state.list_namespaces = [SHARED]
    elif kind == "list":
        request.state.list_namespaces = None if identity.is_admin else sorted(identity.roles)
    elif kind == "any":
        if needed != Role.VIEW and not _may_write_shared(identity):
            raise ApiError(GrpcCode.PERMISSION_DENIED, f"user {identity.name!r} may not write anywhere")
    elif not identity.is_admin:
        raise ApiError(GrpcCode.PERMISSION_DENIED, f"only a platform admin may {method} {template}")
