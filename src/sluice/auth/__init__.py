"""Multi-user Sluice: users and their API tokens, namespaces with quotas, memberships with roles, the audit log.

``Directory(store)`` is the one way in, for ``sluice admin`` (on the store directly) and for the server
(``sluice up --multi-user``). Tokens are random, shown once when made, and stored only as SHA-256 hashes.
"""

from sluice.auth._directory import (
    AuditRecord,
    Directory,
    Identity,
    NamespaceInfo,
    Quota,
    TokenInfo,
    UserInfo,
    hash_token,
)
from sluice.auth._names import AuthError, Role, check_namespace_name, check_role, check_user_name

__all__ = [
    "AuditRecord",
    "AuthError",
    "Directory",
    "Identity",
    "NamespaceInfo",
    "Quota",
    "Role",
    "TokenInfo",
    "UserInfo",
    "check_namespace_name",
    "check_role",
    "check_user_name",
    "hash_token",
]
