"""The users, tokens, namespaces and memberships in the store, and the audit log."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sluice.auth._names import AuthError, Role, check_namespace_name, check_role, check_user_name
from sluice.store import Store, utcnow
from sluice.store.models import ApiToken, AuditEntry, Namespace, NamespaceMember, NamespaceProfiles, User

# sluice.sandbox's built-in profile for a namespace's runs (named, not imported: the CLI stays light).
RESTRICTED_PROFILE = "restricted"

__all__ = [
    "AuditRecord",
    "Directory",
    "Identity",
    "NamespaceInfo",
    "Quota",
    "TokenInfo",
    "UserInfo",
    "hash_token",
]

TOKEN_PREFIX = "sluice_"


def hash_token(token: str) -> str:
    """What is stored of a token (a token has 256 random bits: a plain hash cannot be reversed)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Quota:
    """A namespace's limits on what it holds at once; None: no limit."""

    gpus: int | None = None
    cpus: float | None = None
    memory_bytes: float | None = None
    running_runs: int | None = None
    running_tasks: int | None = None

    def as_json(self) -> dict[str, float | int | None]:
        return {
            "gpus": self.gpus,
            "cpus": self.cpus,
            "memory_bytes": self.memory_bytes,
            "max_running_runs": self.running_runs,
            "max_running_tasks": self.running_tasks,
        }


@dataclass(frozen=True)
class UserInfo:
    name: str
    is_admin: bool
    disabled: bool
    created_at: datetime
    namespaces: dict[str, str] = field(default_factory=dict)  # namespace -> role


@dataclass(frozen=True)
class TokenInfo:
    id: str
    user: str
    description: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class NamespaceInfo:
    name: str
    quota: Quota
    members: dict[str, str]  # user -> role
    created_at: datetime


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: datetime
    actor: str
    action: str
    namespace: str
    target: str
    source: str
    status: int


@dataclass(frozen=True)
class Identity:
    """Who a request is from: a user, whether a platform admin, and their role in each namespace."""

    name: str
    is_admin: bool = False
    roles: dict[str, str] = field(default_factory=dict)

    def role_in(self, namespace: str) -> str | None:
        return Role.OWNER if self.is_admin else self.roles.get(namespace)

    def can(self, namespace: str, needed: str) -> bool:
        return Role.at_least(self.role_in(namespace), needed)


def _quota(row: Namespace) -> Quota:
    return Quota(
        gpus=row.quota_gpus,
        cpus=row.quota_cpus,
        memory_bytes=row.quota_memory_bytes,
        running_runs=row.quota_running_runs,
        running_tasks=row.quota_running_tasks,
    )


class Directory:
    """Administration and sign-in over one store. Every method is one transaction."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # ------------------------------------------------------------------------------------------- users

    def _user(self, session: Session, name: str) -> User:
        user = session.scalar(select(User).where(User.name == name))
        if user is None:
            raise AuthError(f"user {name!r} does not exist")
        return user

    def _namespace(self, session: Session, name: str) -> Namespace:
        namespace = session.scalar(select(Namespace).where(Namespace.name == name))
        if namespace is None:
            raise AuthError(f"namespace {name!r} does not exist")
        return namespace

    def create_user(self, name: str, *, admin: bool = False) -> str:
        """Make a user with a first token; returns the token (shown once: only its hash is kept)."""
        check_user_name(name)
        with self._store.session() as session:
            if session.scalar(select(User.id).where(User.name == name)) is not None:
                raise AuthError(f"user {name!r} already exists")
            user = User(name=name, is_admin=admin)
            session.add(user)
            session.flush()
            return self._new_token(session, user, "first token", None)

    def _new_token(self, session: Session, user: User, description: str, expires_at: datetime | None) -> str:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        session.add(
            ApiToken(
                user_id=user.id, token_hash=hash_token(token), description=description, expires_at=expires_at
            )
        )
        return token

    def list_users(self) -> list[UserInfo]:
        with self._store.read_session() as session:
            roles: dict[str, dict[str, str]] = {}
            for user_id, namespace, role in session.execute(
                select(NamespaceMember.user_id, Namespace.name, NamespaceMember.role).join(
                    Namespace, Namespace.id == NamespaceMember.namespace_id
                )
            ):
                roles.setdefault(user_id, {})[namespace] = role
            return [
                UserInfo(u.name, u.is_admin, u.disabled, u.created_at, roles.get(u.id, {}))
                for u in session.scalars(select(User).order_by(User.name))
            ]

    def set_disabled(self, name: str, disabled: bool) -> None:
        with self._store.session() as session:
            self._user(session, name).disabled = disabled

    def delete_user(self, name: str) -> None:
        with self._store.session() as session:
            session.delete(self._user(session, name))

    # ------------------------------------------------------------------------------------------ tokens

    def create_token(self, user: str, *, expires_in: timedelta | None = None, description: str = "") -> str:
        with self._store.session() as session:
            row = self._user(session, user)
            expires_at = utcnow() + expires_in if expires_in is not None else None
            return self._new_token(session, row, description, expires_at)

    def list_tokens(self, user: str | None = None) -> list[TokenInfo]:
        with self._store.read_session() as session:
            query = (
                select(ApiToken, User.name)
                .join(User, User.id == ApiToken.user_id)
                .order_by(ApiToken.created_at)
            )
            if user is not None:
                query = query.where(User.name == user)
            return [
                TokenInfo(t.id, name, t.description, t.created_at, t.expires_at, t.revoked_at)
                for t, name in session.execute(query)
            ]

    def revoke_token(self, token_id: str) -> None:
        with self._store.session() as session:
            token = session.get(ApiToken, token_id)
            if token is None:
                raise AuthError(f"token {token_id!r} does not exist")
            if token.revoked_at is None:
                token.revoked_at = utcnow()

    def authenticate(self, token: str) -> Identity | None:
        """The identity a token stands for; None for an unknown, revoked or expired token, or a disabled user."""
        if not token:
            return None
        with self._store.read_session() as session:
            row = session.execute(
                select(User, ApiToken)
                .join(ApiToken, ApiToken.user_id == User.id)
                .where(ApiToken.token_hash == hash_token(token))
            ).first()
            if row is None:
                return None
            user, api_token = row
            if api_token.revoked_at is not None or user.disabled:
                return None
            if api_token.expires_at is not None and api_token.expires_at <= utcnow():
                return None
            return self._identity(session, user)

    def identity_of(self, name: str) -> Identity | None:
        """The identity of a user named by a trusted sign-in proxy; None for an unknown or disabled user."""
        with self._store.read_session() as session:
            user = session.scalar(select(User).where(User.name == name))
            if user is None or user.disabled:
                return None
            return self._identity(session, user)

    def _identity(self, session: Session, user: User) -> Identity:
        rows = session.execute(
            select(Namespace.name, NamespaceMember.role)
            .join(NamespaceMember, NamespaceMember.namespace_id == Namespace.id)
            .where(NamespaceMember.user_id == user.id)
        )
        roles = {row[0]: row[1] for row in rows}  # (a Result has keys(): dict(rows) would misread it)
        return Identity(user.name, user.is_admin, roles)

    # -------------------------------------------------------------------------------------- namespaces

    def create_namespace(self, name: str, *, owner: str, quota: Quota | None = None) -> None:
        """A team's namespace, owned by ``owner``. Its runs' tasks are sandboxed (execution profile
        ``restricted``, the multi-user default) until an admin grants others (``sluice admin profiles
        policy``)."""
        check_namespace_name(name)
        with self._store.session() as session:
            if session.scalar(select(Namespace.id).where(Namespace.name == name)) is not None:
                raise AuthError(f"namespace {name!r} already exists")
            user = self._user(session, owner)
            namespace = Namespace(name=name)
            self._apply_quota(namespace, quota or Quota())
            session.add(namespace)
            session.flush()
            session.add(NamespaceMember(namespace_id=namespace.id, user_id=user.id, role=Role.OWNER))
            if session.get(NamespaceProfiles, name) is None:
                session.add(NamespaceProfiles(namespace=name, default_profile=RESTRICTED_PROFILE, allowed=[]))

    @staticmethod
    def _apply_quota(namespace: Namespace, quota: Quota) -> None:
        for value, what in (
            (quota.gpus, "--gpus"),
            (quota.cpus, "--cpus"),
            (quota.memory_bytes, "--memory"),
            (quota.running_runs, "--max-running-runs"),
            (quota.running_tasks, "--max-running-tasks"),
        ):
            if value is not None and value < 0:
                raise AuthError(f"{what} must not be negative (got {value})")
        namespace.quota_gpus = quota.gpus
        namespace.quota_cpus = quota.cpus
        namespace.quota_memory_bytes = quota.memory_bytes
        namespace.quota_running_runs = quota.running_runs
        namespace.quota_running_tasks = quota.running_tasks

    def set_quota(self, name: str, quota: Quota) -> None:
        with self._store.session() as session:
            self._apply_quota(self._namespace(session, name), quota)

    def delete_namespace(self, name: str) -> None:
        with self._store.session() as session:
            session.delete(self._namespace(session, name))

    def set_member(self, namespace: str, user: str, role: str) -> None:
        check_role(role)
        with self._store.session() as session:
            ns = self._namespace(session, namespace)
            row = self._user(session, user)
            member = session.scalar(
                select(NamespaceMember).where(
                    NamespaceMember.namespace_id == ns.id, NamespaceMember.user_id == row.id
                )
            )
            if member is None:
                session.add(NamespaceMember(namespace_id=ns.id, user_id=row.id, role=role))
            else:
                member.role = role

    def remove_member(self, namespace: str, user: str) -> None:
        with self._store.session() as session:
            ns = self._namespace(session, namespace)
            row = self._user(session, user)
            removed = session.execute(
                delete(NamespaceMember).where(
                    NamespaceMember.namespace_id == ns.id, NamespaceMember.user_id == row.id
                )
            )
            if not getattr(removed, "rowcount", 0):
                raise AuthError(f"user {user!r} is not a member of namespace {namespace!r}")

    def list_namespaces(self) -> list[NamespaceInfo]:
        with self._store.read_session() as session:
            members: dict[str, dict[str, str]] = {}
            for namespace_id, user, role in session.execute(
                select(NamespaceMember.namespace_id, User.name, NamespaceMember.role).join(
                    User, User.id == NamespaceMember.user_id
                )
            ):
                members.setdefault(namespace_id, {})[user] = role
            return [
                NamespaceInfo(row.name, _quota(row), members.get(row.id, {}), row.created_at)
                for row in session.scalars(select(Namespace).order_by(Namespace.name))
            ]

    def quotas(self) -> dict[str, Quota]:
        with self._store.read_session() as session:
            return {row.name: _quota(row) for row in session.scalars(select(Namespace))}

    def namespace_exists(self, name: str) -> bool:
        with self._store.read_session() as session:
            return session.scalar(select(Namespace.id).where(Namespace.name == name)) is not None

    # ------------------------------------------------------------------------------------------- audit

    def audit(
        self,
        actor: str,
        action: str,
        *,
        namespace: str = "",
        target: str = "",
        source: str = "",
        status: int = 0,
    ) -> None:
        with self._store.session() as session:
            session.add(
                AuditEntry(
                    actor=actor,
                    action=action[:255],
                    namespace=namespace[:255],
                    target=target[:2048],
                    source=source[:255],
                    status=status,
                )
            )

    def audit_entries(self, *, namespace: str | None = None, limit: int = 1000) -> list[AuditRecord]:
        with self._store.read_session() as session:
            query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
            if namespace is not None:
                query = query.where(AuditEntry.namespace == namespace)
            rows = list(session.scalars(query))
        return [
            AuditRecord(r.id, r.at, r.actor, r.action, r.namespace, r.target, r.source, r.status)
            for r in reversed(rows)
        ]
