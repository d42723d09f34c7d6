"""Which execution profiles a namespace's runs may use: its default and its allowed list.

A namespace without a policy row (single-user Sluice) runs ``host`` by default and may ask for any
profile; an admin's policy narrows that (``sluice admin profiles policy NAMESPACE ...``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, insert, select, update

from sluice.sandbox._profiles import HOST, ProfileError, load_profiles
from sluice.store import Store, tables, utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["NamespacePolicy", "choose_profile", "get_policy", "require_sandbox_for_policies", "set_policy"]


@dataclass(frozen=True)
class NamespacePolicy:
    namespace: str
    default: str
    allowed: tuple[str, ...]  # including the default
    configured: bool  # False: no row, the single-user policy


def get_policy(
    store: Store,
    home: str | os.PathLike[str],
    namespace: str,
    session: Session | Connection | None = None,
) -> NamespacePolicy:
    """``namespace``'s policy (read in ``session`` when the caller is in one: no second transaction)."""
    if session is None:
        with store.reading() as own:
            return get_policy(store, home, namespace, own)
    connection = session if isinstance(session, Connection) else session.connection()
    policies = tables.namespace_profiles
    row = connection.execute(select(policies).where(policies.c.namespace == namespace)).one_or_none()
    if row is None:
        return NamespacePolicy(namespace, HOST.name, tuple(sorted(load_profiles(home))), False)
    allowed = tuple(dict.fromkeys([row.default_profile, *row.allowed]))
    return NamespacePolicy(namespace, row.default_profile, allowed, True)


def set_policy(
    store: Store, home: str | os.PathLike[str], namespace: str, default: str, allowed: list[str]
) -> NamespacePolicy:
    """Set ``namespace``'s default and allowed profiles (each must be defined)."""
    if not namespace:
        raise ProfileError("a policy needs a namespace")
    known = load_profiles(home)
    for name in [default, *allowed]:
        if name not in known:
            raise ProfileError(f"no execution profile {name!r} (known: {', '.join(sorted(known))})")
    policies = tables.namespace_profiles
    values = {"default_profile": default, "allowed": sorted(set(allowed) - {default}), "updated_at": utcnow()}
    with store.transaction() as connection:
        found = connection.scalar(
            select(policies.c.namespace).where(policies.c.namespace == namespace).with_for_update()
        )
        if found is None:
            connection.execute(insert(policies).values(namespace=namespace, **values))
        else:
            connection.execute(update(policies).where(policies.c.namespace == namespace).values(**values))
    return get_policy(store, home, namespace)


def choose_profile(
    store: Store,
    home: str | os.PathLike[str],
    namespace: str,
    requested: str | None,
    session: Session | Connection | None = None,
) -> str:
    """The profile a run in ``namespace`` gets: ``requested`` if allowed, else its default.
    ProfileError naming the allowed ones when ``requested`` is not allowed or not defined."""
    policy = get_policy(store, home, namespace, session)
    if not requested:
        return policy.default
    known = load_profiles(home)
    if requested not in known:
        raise ProfileError(f"no execution profile {requested!r} (known: {', '.join(sorted(known))})")
    if requested not in policy.allowed:
        raise ProfileError(
            f"execution profile {requested!r} is not allowed in namespace {namespace!r} "
            f"(allowed: {', '.join(policy.allowed)})"
        )
    return requested


def require_sandbox_for_policies(store: Store, home: str | os.PathLike[str]) -> None:
    """For a server at startup: when a namespace's policy names a sandboxed profile, bubblewrap must be
    here (SandboxUnavailableError saying what to install and which namespaces need it)."""
    from sluice.sandbox._bwrap import SandboxUnavailableError, require_bwrap

    profiles = load_profiles(home)
    with store.reading() as connection:
        rows = connection.execute(select(tables.namespace_profiles)).all()
        needing = sorted(
            row.namespace
            for row in rows
            if any(profiles.get(name, HOST).sandboxed for name in [row.default_profile, *row.allowed])
        )
    if not needing:
        return
    try:
        require_bwrap()
    except SandboxUnavailableError as error:
        raise SandboxUnavailableError(
            f"namespaces {', '.join(needing)} run sandboxed tasks, but {error}"
        ) from None
