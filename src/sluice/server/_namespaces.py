"""Namespaces through the API (multi-user mode): a user sees the namespaces they belong to, with members and
quotas; an owner adds, changes and removes members; quotas are the platform admin's (``sluice admin``), so a
team cannot raise its own share of the GPUs."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from sluice.auth import AuthError, Directory
from sluice.server._auth import caller
from sluice.server._context import ServiceContext, service
from sluice.server._errors import ApiError, GrpcCode, invalid_argument, not_found

__all__ = ["router"]

router = APIRouter(prefix="/apis/sluice/v1", tags=["NamespaceService"])
Context = Annotated[ServiceContext, Depends(service)]


class MemberIn(BaseModel):
    role: Literal["owner", "edit", "view"]


def _single_user() -> ApiError:
    return ApiError(
        GrpcCode.FAILED_PRECONDITION, "namespaces exist in multi-user mode only (sluice up --multi-user)"
    )


@router.get(
    "/namespaces", summary="The namespaces the caller belongs to (all, for an admin), with members and quotas"
)
async def list_namespaces(request: Request, context: Context) -> JSONResponse:
    identity = caller(request)
    if identity is None:
        raise _single_user()
    namespaces = await run_in_threadpool(Directory(context.store).list_namespaces)
    return JSONResponse(
        {
            "namespaces": [
                {
                    "name": info.name,
                    "role": identity.role_in(info.name),
                    "members": info.members,
                    "quota": info.quota.as_json(),
                }
                for info in namespaces
                if identity.is_admin or info.name in identity.roles
            ]
        }
    )


def _change(context: ServiceContext, namespace: str, user: str, role: str | None) -> None:
    directory = Directory(context.store)
    try:
        if role is None:
            directory.remove_member(namespace, user)
        else:
            directory.set_member(namespace, user, role)
    except AuthError as error:
        message = str(error)
        raise (
            not_found(message)
            if "does not exist" in message or "not a member" in message
            else invalid_argument(message)
        ) from None


@router.put("/namespaces/{namespace}/members/{user}", summary="Give a user a role in the namespace (owners)")
async def set_member(
    namespace: str, user: str, body: MemberIn, request: Request, context: Context
) -> JSONResponse:
    if caller(request) is None:
        raise _single_user()
    await run_in_threadpool(_change, context, namespace, user, body.role)
    return JSONResponse({"namespace": namespace, "user": user, "role": body.role})


@router.delete("/namespaces/{namespace}/members/{user}", summary="Take a user out of the namespace (owners)")
async def remove_member(namespace: str, user: str, request: Request, context: Context) -> JSONResponse:
    if caller(request) is None:
        raise _single_user()
    await run_in_threadpool(_change, context, namespace, user, None)
    return JSONResponse({})
