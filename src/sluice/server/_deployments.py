"""Deployments (Sluice's model serving API, ``/apis/sluice/v1``): create, update (optionally as a canary),
promote, rollback, scale, delete, and read them back with their revisions, history and request metrics.

Deployments live in a namespace (``?namespace=``, default "default"); the stable URL of one is
``/serving/{namespace}/{name}``. In single-user mode every action is taken by "local"; a later auth layer
sets ``request.state.user`` (and can check it against the namespace here, in :func:`_actor`).
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Body, Depends, FastAPI, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from sluice.server._auth import caller, visible_namespaces
from sluice.server._context import ServiceContext, service
from sluice.server._errors import (
    ApiError,
    GrpcCode,
    already_exists,
    error_body,
    failed_precondition,
    invalid_argument,
    not_found,
)
from sluice.serving import (
    DEFAULT_NAMESPACE,
    Conflict,
    DeploymentService,
    FailedPrecondition,
    InvalidRequest,
    NotFound,
    ServingError,
    store_upload,
)
from sluice.serving import schemas as api

__all__ = ["install_serving_errors", "router"]

router = APIRouter(prefix="/apis/sluice/v1", tags=["DeploymentService"])
Namespace = Annotated[str, Query(description="The deployment's namespace.")]
_METRICS_WINDOW_S = 3600


def _deployments(request: Request) -> DeploymentService:
    deployments: DeploymentService = request.app.state.serving.deployments
    return deployments


Deployments = Annotated[DeploymentService, Depends(_deployments)]


def _actor(request: Request) -> str:
    """Who is asking: the authenticated user once there are users; "local" in single-user mode."""
    identity = caller(request)
    return identity.name if identity is not None else "local"


def _client(request: Request) -> str:
    """What the user acted through: the web UI says so; other clients are known by their User-Agent."""
    return (request.headers.get("x-sluice-client") or request.headers.get("user-agent", ""))[:200]


def _base(request: Request) -> str:
    return str(request.base_url)


@router.post("/deployments", response_model=api.Deployment, summary="Create a deployment (its revision 1)")
def create_deployment(
    body: api.DeploymentCreate, request: Request, deployments: Deployments
) -> api.Deployment:
    return deployments.create(body, actor=_actor(request), client=_client(request), base_url=_base(request))


@router.get("/deployments", response_model=api.DeploymentList, summary="List deployments")
def list_deployments(
    request: Request, deployments: Deployments, namespace: Annotated[str | None, Query()] = None
) -> api.DeploymentList:
    listed = deployments.list(namespace, _base(request))
    visible = visible_namespaces(request)
    if visible is not None:  # multi-user, no namespace asked for: the caller's namespaces
        listed.deployments = [item for item in listed.deployments if item.namespace in visible]
    return listed


@router.get("/deployments/{name}", response_model=api.Deployment, summary="Get a deployment")
def get_deployment(
    name: str, request: Request, deployments: Deployments, namespace: Namespace = DEFAULT_NAMESPACE
) -> api.Deployment:
    return deployments.get(namespace, name, _base(request))


@router.delete("/deployments/{name}", summary="Delete a deployment; its replicas drain and stop")
def delete_deployment(
    name: str, deployments: Deployments, namespace: Namespace = DEFAULT_NAMESPACE
) -> JSONResponse:
    deployments.delete(namespace, name)
    return JSONResponse({})


@router.post(
    "/deployments/{name}:update",
    response_model=api.Deployment,
    summary="Add a revision: it takes all traffic once ready, or canary_percent of it",
)
def update_deployment(
    name: str,
    body: api.DeploymentUpdate,
    request: Request,
    deployments: Deployments,
    namespace: Namespace = DEFAULT_NAMESPACE,
) -> api.Deployment:
    return deployments.update(
        namespace, name, body, actor=_actor(request), client=_client(request), base_url=_base(request)
    )


@router.post(
    "/deployments/{name}:promote", response_model=api.Deployment, summary="Give the canary all traffic"
)
def promote_deployment(
    name: str, request: Request, deployments: Deployments, namespace: Namespace = DEFAULT_NAMESPACE
) -> api.Deployment:
    return deployments.promote(
        namespace, name, actor=_actor(request), client=_client(request), base_url=_base(request)
    )


@router.post(
    "/deployments/{name}:rollback",
    response_model=api.Deployment,
    summary="Cancel a loading revision, else drop the canary, else go back to the previous (or a named) revision",
)
def rollback_deployment(
    name: str,
    request: Request,
    deployments: Deployments,
    body: Annotated[api.Rollback | None, Body()] = None,
    namespace: Namespace = DEFAULT_NAMESPACE,
) -> api.Deployment:
    to = body.to_revision if body is not None else None
    return deployments.rollback(
        namespace, name, to, actor=_actor(request), client=_client(request), base_url=_base(request)
    )


@router.post(
    "/deployments/{name}:scale", response_model=api.Deployment, summary="Set the serving revision's replicas"
)
def scale_deployment(
    name: str,
    body: api.Scale,
    request: Request,
    deployments: Deployments,
    namespace: Namespace = DEFAULT_NAMESPACE,
) -> api.Deployment:
    return deployments.scale(
        namespace,
        name,
        body.replicas,
        actor=_actor(request),
        client=_client(request),
        base_url=_base(request),
    )


@router.get(
    "/deployments/{name}/history",
    response_model=api.DeploymentHistory,
    summary="Every action taken on a deployment, by whom and when",
)
def deployment_history(
    name: str, deployments: Deployments, namespace: Namespace = DEFAULT_NAMESPACE
) -> api.DeploymentHistory:
    return deployments.history(namespace, name)


@router.get(
    "/deployments/{name}/metrics",
    response_model=api.DeploymentMetrics,
    summary="Requests, errors and latency per revision in 10-second intervals (the last hour)",
)
def deployment_metrics(
    name: str,
    deployments: Deployments,
    namespace: Namespace = DEFAULT_NAMESPACE,
    since: Annotated[float | None, Query(description="Seconds since the epoch.")] = None,
) -> api.DeploymentMetrics:
    return deployments.metrics(
        namespace, name, since if since is not None else time.time() - _METRICS_WINDOW_S
    )


@router.get(
    "/revisions",
    response_model=api.RevisionLinks,
    summary="Revisions deployed from a run's models, or from one artifact",
)
def revision_links(
    request: Request,
    deployments: Deployments,
    run_id: Annotated[str | None, Query()] = None,
    artifact_id: Annotated[str | None, Query()] = None,
) -> api.RevisionLinks:
    return deployments.links(run_id=run_id, artifact_id=artifact_id, base_url=_base(request))


@router.post(
    "/models:upload",
    response_model=api.ModelUpload,
    summary="Store a model (a .tar.gz holding one file or folder) in the artifact root, for a deployment",
)
async def upload_model(
    uploadfile: Annotated[UploadFile, File(description="A .tar.gz with one file or folder at its top.")],
    context: Annotated[ServiceContext, Depends(service)],
) -> api.ModelUpload:
    uri = await run_in_threadpool(store_upload, context.artifacts, uploadfile.file)
    return api.ModelUpload(uri=uri)


def _api_error(error: ServingError) -> ApiError:
    if isinstance(error, NotFound):
        return not_found(error.message)
    if isinstance(error, Conflict):
        return already_exists(error.message)
    if isinstance(error, FailedPrecondition):
        return failed_precondition(error.message)
    if isinstance(error, InvalidRequest):
        return invalid_argument(error.message)
    return ApiError(GrpcCode.INTERNAL, error.message)


def install_serving_errors(app: FastAPI) -> None:
    """Serving's refusals leave as KFP-style error bodies, with the status their kind calls for."""

    async def on_serving_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ServingError)
        error = _api_error(exc)
        return JSONResponse(error_body(error.code, error.message), status_code=error.status)

    app.add_exception_handler(ServingError, on_serving_error)
