"""What user and namespace names may be, checked at the boundary with errors that say what is wrong."""

from __future__ import annotations

import re

__all__ = ["AuthError", "Role", "check_namespace_name", "check_role", "check_user_name"]

# Kubernetes namespace names (DNS labels), as Kubeflow profiles use.
_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
# Plain names and e-mail addresses (what kubeflow-userid carries).
_USER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,253}$")


class AuthError(ValueError):
    """An administration or sign-in request that cannot be done (the message says which and why)."""


class Role:
    """Roles in a namespace, weakest first: view (read), edit (create, terminate, retry, archive), owner
    (members and quotas). A platform admin holds every role everywhere."""

    VIEW = "view"
    EDIT = "edit"
    OWNER = "owner"
    ORDER = (VIEW, EDIT, OWNER)

    @classmethod
    def at_least(cls, role: str | None, needed: str) -> bool:
        return role is not None and cls.ORDER.index(role) >= cls.ORDER.index(needed)


def check_namespace_name(name: str) -> str:
    if not _NAMESPACE.match(name or ""):
        raise AuthError(
            f"namespace name {name!r} is not valid: lower-case letters, digits and '-', starting and ending "
            "with a letter or digit, at most 63 characters"
        )
    return name


def check_user_name(name: str) -> str:
    if not _USER.match(name or ""):
        raise AuthError(
            f"user name {name!r} is not valid: letters, digits and . _ @ + -, starting with a letter or digit, "
            "at most 254 characters"
        )
    return name


def check_role(role: str) -> str:
    if role not in Role.ORDER:
        raise AuthError(f"role {role!r} is not one of {', '.join(Role.ORDER)}")
    return role
