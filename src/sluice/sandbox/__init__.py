"""Execution profiles and sandboxed tasks (bubblewrap), named volumes.

A profile (:class:`Profile`) says what a task may see and use. ``host`` runs it as a plain process (the
single-user default); ``restricted`` and the admin's profiles run it inside bubblewrap
(:func:`sandbox_command`): no network, its own PID namespace, read-only system folders, only its inputs
and outputs, an unprivileged uid per namespace when the engine runs as root, and limits. Which profiles a
namespace's runs may ask for is :func:`choose_profile`'s business (the ``namespace_profiles`` table).
Named volumes (kfp-kubernetes' PVCs) are folders owned by a namespace (:func:`volume_folder`).
See docs/security.md for the threat model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sluice.sandbox._bwrap import (
    WORK_FOLDER,
    Mount,
    SandboxSpec,
    SandboxUnavailableError,
    bwrap_path,
    namespace_uid,
    require_bwrap,
    sandbox_command,
)
from sluice.sandbox._profiles import (
    BUILTIN_PROFILES,
    HOST,
    RESTRICTED,
    Profile,
    ProfileError,
    delete_profile,
    load_profiles,
    parse_size,
    profile_named,
    save_profile,
)
from sluice.sandbox._volumes import VolumeError, create_volume, delete_volume, list_volumes, volume_folder

__all__ = [
    "BUILTIN_PROFILES",
    "HOST",
    "RESTRICTED",
    "WORK_FOLDER",
    "Mount",
    "NamespacePolicy",
    "Profile",
    "ProfileError",
    "SandboxSpec",
    "SandboxUnavailableError",
    "VolumeError",
    "bwrap_path",
    "choose_profile",
    "create_volume",
    "delete_profile",
    "delete_volume",
    "get_policy",
    "list_volumes",
    "load_profiles",
    "namespace_uid",
    "parse_size",
    "profile_named",
    "require_bwrap",
    "require_sandbox_for_policies",
    "sandbox_command",
    "save_profile",
    "set_policy",
    "volume_folder",
]

if TYPE_CHECKING:
    from sluice.sandbox._policy import (
        NamespacePolicy,
        choose_profile,
        get_policy,
        require_sandbox_for_policies,
        set_policy,
    )

_POLICY = {"NamespacePolicy", "choose_profile", "get_policy", "require_sandbox_for_policies", "set_policy"}


def __getattr__(name: str) -> Any:
    if name in _POLICY:  # the store (SQLAlchemy) only when policies are used; launchers never need it
        from sluice.sandbox import _policy

        return getattr(_policy, name)
    raise AttributeError(f"module 'sluice.sandbox' has no attribute {name!r}")
