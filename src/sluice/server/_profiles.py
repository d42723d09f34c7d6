"""``GET /apis/sluice/v1/profiles``: the execution profiles a namespace's runs may ask for (the UI's
create-run form offers them), its default first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from sluice import api
from sluice.server._context import ServiceContext, service
from sluice.server._errors import invalid_argument

__all__ = ["router"]

router = APIRouter(prefix="/apis/sluice/v1", tags=["ProfileService"])
Context = Annotated[ServiceContext, Depends(service)]


@router.get("/profiles", summary="The execution profiles a namespace's runs may use, its default first")
def list_profiles(
    *, context: Context, namespace: Annotated[str, Query(max_length=255)] = "default"
) -> api.ProfileList:
    from sluice.sandbox import ProfileError, get_policy, load_profiles

    try:
        policy = get_policy(context.store, context.home, namespace or "default")
        known = load_profiles(context.home)
    except ProfileError as error:
        raise invalid_argument(str(error)) from None
    names = [policy.default, *(name for name in policy.allowed if name != policy.default)]
    profiles = [
        api.ExecutionProfile(
            name=name,
            description=known[name].description,
            sandboxed=known[name].sandboxed,
            network=known[name].network,
        )
        for name in names
        if name in known
    ]
    return api.ProfileList(namespace=policy.namespace, default=policy.default, profiles=profiles)
