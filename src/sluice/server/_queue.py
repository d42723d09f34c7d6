"""Sluice's own routes of the multi-user platform: who am I (``/me``), and the fair queue (``/queue``):
per namespace and user, the running tasks with what they hold and the pending ones with why they wait."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from sluice import api
from sluice.server._auth import caller, visible_namespaces
from sluice.server._context import ServiceContext, service

__all__ = ["router"]

router = APIRouter(prefix="/apis/sluice/v1", tags=["QueueService"])
Context = Annotated[ServiceContext, Depends(service)]


@router.get("/me", summary="Who the request signs in as: name, admin, namespaces with roles")
def whoami(request: Request) -> api.Identity:
    identity = caller(request)
    if identity is None:
        return api.Identity(name="", admin=True, namespaces={}, multi_user=False)
    return api.Identity(
        name=identity.name, admin=identity.is_admin, namespaces=dict(identity.roles), multi_user=True
    )


@router.get(
    "/queue",
    response_model=api.QueueSnapshot,
    summary="Running and pending tasks per namespace and user, with wait reasons",
)
def queue(request: Request, context: Context, namespace: str | None = None) -> dict[str, Any]:
    visible = visible_namespaces(request)
    if namespace is not None:
        visible = [namespace] if visible is None or namespace in visible else []
    # The snapshot as the fair queue writes it; FastAPI checks it against the model once (the UI polls this).
    return context.executor.queue_snapshot(visible)
