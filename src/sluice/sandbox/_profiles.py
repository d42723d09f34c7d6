"""Execution profiles: what a task may see and use.

Two are built in: ``host`` (the task is a plain process of the engine's user, today's behaviour) and
``restricted`` (bubblewrap: no network, its own PID namespace, read-only system folders, a private work
folder, only its own inputs (read-only) and outputs (writable), limits). The platform admin defines more in
``$SLUICE_HOME/profiles.json`` (``sluice admin profiles set ...``); every admin profile is sandboxed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

__all__ = [
    "BUILTIN_PROFILES",
    "HOST",
    "PROFILES_FILE",
    "RESTRICTED",
    "Profile",
    "ProfileError",
    "delete_profile",
    "load_profiles",
    "parse_size",
    "profile_named",
    "save_profile",
]

PROFILES_FILE = "profiles.json"
_NAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT]i?)?B?", re.IGNORECASE)
_UNITS = {"": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4}
_UNITS.update({"ki": 1024, "mi": 1024**2, "gi": 1024**3, "ti": 1024**4})


class ProfileError(Exception):
    """A profile that does not exist, is not allowed, or is badly defined (the message says which)."""


@dataclass(frozen=True)
class Profile:
    """What a task run under this profile may see and use. ``None`` limits are unlimited."""

    name: str
    sandboxed: bool = True  # False: a plain host process (only the built-in ``host``)
    network: str = "none"  # "none": loopback of its own only; "host": the machine's network
    memory: int | None = 4 * 1024**3  # bytes of address space (RLIMIT_AS)
    cpu_seconds: int | None = None  # RLIMIT_CPU
    processes: int | None = 512  # RLIMIT_NPROC, counted per namespace's uid
    file_size: int | None = 64 * 1024**3  # the largest file it may write (RLIMIT_FSIZE)
    wall_seconds: float | None = None  # killed after this long
    tmp_size: int | None = 1024**3  # its private /tmp (memory-backed)
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(name: str, data: Any, where: str) -> Profile:
        """A profile from the admin's file or command line; ProfileError naming the bad field."""
        check_profile_name(name)
        if not isinstance(data, dict):
            raise ProfileError(f"{where}: profile {name!r} must be an object")
        known = {field.name for field in fields(Profile)} - {"name", "sandboxed"}
        unknown = sorted(set(data) - known - {"name", "sandboxed"})
        if unknown:
            raise ProfileError(
                f"{where}: profile {name!r} has unknown field {unknown[0]!r} (known: {', '.join(sorted(known))})"
            )
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key in {"name", "sandboxed"}:
                continue
            values[key] = _field_value(name, key, value, where)
        return Profile(name=name, **values)


def _field_value(name: str, key: str, value: Any, where: str) -> Any:
    what = f"{where}: profile {name!r} field {key!r}"
    if key == "network":
        if value not in ("none", "host"):
            raise ProfileError(f"{what} must be 'none' or 'host', got {value!r}")
        return value
    if key == "description":
        return str(value)
    if value is None:
        return None
    if key in {"memory", "file_size", "tmp_size"}:
        try:
            return parse_size(value)
        except ValueError as error:
            raise ProfileError(f"{what}: {error}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ProfileError(f"{what} must be a positive number, got {value!r}")
    return float(value) if key == "wall_seconds" else int(value)


def parse_size(value: Any) -> int:
    """Bytes from a number or a size such as ``512Mi``, ``2G``, ``4GiB``; ValueError if neither."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    match = _SIZE.fullmatch(str(value).strip())
    if match is None or float(match.group(1)) <= 0:
        raise ValueError(f"{value!r} is not a size (e.g. 512Mi, 2G, 4294967296)")
    return int(float(match.group(1)) * _UNITS[(match.group(2) or "").lower()])


def check_profile_name(name: str) -> None:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ProfileError(
            f"profile name {name!r} must be lower-case letters, digits and '-' (at most 63, starting and "
            "ending with a letter or digit)"
        )


HOST = Profile(
    "host",
    sandboxed=False,
    network="host",
    memory=None,
    processes=None,
    file_size=None,
    tmp_size=None,
    description="a plain process of the engine's user: sees what that user sees (single-user Sluice)",
)
RESTRICTED = Profile(
    "restricted",
    description="bubblewrap sandbox: no network, own PID namespace, only its inputs and outputs, limits",
)
BUILTIN_PROFILES = {profile.name: profile for profile in (HOST, RESTRICTED)}


def _profiles_path(home: str | os.PathLike[str]) -> Path:
    return Path(home) / PROFILES_FILE


def load_profiles(home: str | os.PathLike[str]) -> dict[str, Profile]:
    """The built-in profiles and the admin's (``$SLUICE_HOME/profiles.json``); ProfileError if it is bad."""
    profiles = dict(BUILTIN_PROFILES)
    path = _profiles_path(home)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return profiles
    except OSError as error:
        raise ProfileError(f"cannot read {path}: {error}") from None
    try:
        document = json.loads(text)
    except ValueError as error:
        raise ProfileError(f"{path}: not JSON: {error}") from None
    defined = document.get("profiles") if isinstance(document, dict) else None
    if not isinstance(defined, dict):
        raise ProfileError(f'{path}: expected {{"profiles": {{NAME: {{...}}}}}}')
    for name, data in defined.items():
        if name in BUILTIN_PROFILES:
            raise ProfileError(f"{path}: {name!r} is a built-in profile and cannot be redefined")
        profiles[name] = Profile.from_dict(name, data, str(path))
    return profiles


def profile_named(home: str | os.PathLike[str], name: str) -> Profile:
    """The profile called ``name``; ProfileError listing the known ones if there is none."""
    profiles = load_profiles(home)
    if name not in profiles:
        raise ProfileError(f"no execution profile {name!r} (known: {', '.join(sorted(profiles))})")
    return profiles[name]


def _write(home: str | os.PathLike[str], profiles: dict[str, Profile]) -> None:
    path = _profiles_path(home)
    admin = {
        name: {key: value for key, value in profile.to_dict().items() if key not in {"name", "sandboxed"}}
        for name, profile in sorted(profiles.items())
        if name not in BUILTIN_PROFILES
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".profiles-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump({"profiles": admin}, out, indent=2)
            out.write("\n")
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def save_profile(home: str | os.PathLike[str], name: str, settings: dict[str, Any]) -> Profile:
    """Define (or change: the given fields replace the old ones) the admin profile ``name``."""
    if name in BUILTIN_PROFILES:
        raise ProfileError(f"{name!r} is a built-in profile and cannot be changed; define another name")
    profiles = load_profiles(home)
    base = profiles.get(name)
    fresh = Profile.from_dict(name, settings, "profile settings")
    if base is not None:
        changed = {key: getattr(fresh, key) for key in settings}
        fresh = replace(base, **changed)
    profiles[name] = fresh
    _write(home, profiles)
    return fresh


def delete_profile(home: str | os.PathLike[str], name: str) -> None:
    if name in BUILTIN_PROFILES:
        raise ProfileError(f"{name!r} is a built-in profile and cannot be deleted")
    profiles = load_profiles(home)
    if name not in profiles:
        raise ProfileError(f"no execution profile {name!r}")
    del profiles[name]
    _write(home, profiles)
