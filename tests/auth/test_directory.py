"""The directory on every backend: users, tokens, namespaces, members, quotas, audit; refusals leave nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sluice.auth import AuthError, Directory, Quota, Role
from sluice.store import Store


def test_users_namespaces_roles_and_audit(store: Store) -> None:
    directory = Directory(store)
    admin_token = directory.create_user("root@example.com", admin=True)
    alice_token = directory.create_user("alice")
    directory.create_user("bob")
    directory.create_namespace(
        "team-a", owner="alice", quota=Quota(gpus=1, memory_bytes=64 * 2**30, running_runs=3)
    )
    directory.set_member("team-a", "bob", Role.VIEW)
    alice = directory.authenticate(alice_token)
    assert alice is not None and alice.roles == {"team-a": "owner"} and not alice.is_admin
    assert alice.can("team-a", Role.EDIT) and not alice.can("team-b", Role.VIEW)
    root = directory.authenticate(admin_token)
    assert root is not None and root.is_admin and root.can("anything", Role.OWNER)
    bob = directory.identity_of("bob")
    assert bob is not None and bob.can("team-a", Role.VIEW) and not bob.can("team-a", Role.EDIT)
    directory.set_member("team-a", "bob", Role.EDIT)  # changes the role, adds no second membership
    assert [n.members for n in directory.list_namespaces()] == [{"alice": "owner", "bob": "edit"}]
    assert directory.quotas()["team-a"] == Quota(gpus=1, memory_bytes=64 * 2**30, running_runs=3)
    with pytest.raises(AuthError, match="already exists"):
        directory.create_namespace("team-a", owner="bob")
    with pytest.raises(AuthError, match="already exists"):
        directory.create_user("alice")
    with pytest.raises(AuthError, match="is not a member"):
        directory.remove_member("team-a", "root@example.com")
    directory.delete_user("bob")
    assert [n.members for n in directory.list_namespaces()] == [{"alice": "owner"}]
    directory.audit(
        "alice", "POST /apis/v2beta1/runs", namespace="team-a", target="/x", source="10.0.0.1", status=200
    )
    directory.audit("carol", "POST /apis/v2beta1/runs", namespace="team-b", status=403)
    entries = directory.audit_entries(namespace="team-a")
    assert [(e.actor, e.source, e.status) for e in entries] == [("alice", "10.0.0.1", 200)]
    assert len(directory.audit_entries()) == 2


def test_expired_revoked_and_disabled(store: Store) -> None:
    directory = Directory(store)
    token = directory.create_user("erin")
    soon = directory.create_token("erin", expires_in=timedelta(hours=1))
    gone = directory.create_token("erin", expires_in=timedelta(seconds=-5))
    assert directory.authenticate(soon) is not None and directory.authenticate(gone) is None
    directory.revoke_token(
        next(
            t.id
            for t in directory.list_tokens("erin")
            if t.expires_at and t.expires_at > t.created_at + timedelta(minutes=1)
        )
    )
    assert directory.authenticate(soon) is None and directory.authenticate(token) is not None
    directory.set_disabled("erin", True)
    assert directory.authenticate(token) is None and directory.identity_of("erin") is None
