"""Named volumes: kfp-kubernetes' PersistentVolumeClaims as folders a namespace owns.

``$SLUICE_HOME/volumes/<namespace>/<name>/`` holds the data; ``.<name>.json`` beside it what the claim asked
for (size, storage class, access modes). A sandboxed task that mounts the volume sees the folder at the
path it asked for; the data stays until ``sluice volumes delete``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["VolumeError", "create_volume", "delete_volume", "list_volumes", "volume_folder"]

VOLUMES_FOLDER = "volumes"
_NAME = re.compile(r"[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?")


class VolumeError(Exception):
    """A bad volume name, or one that does not exist (the message says which)."""


def _check(kind: str, name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name) or ".." in name:
        raise VolumeError(f"{kind} {name!r} must be lower-case letters, digits, '-' and '.' (a DNS name)")
    return name


def volume_folder(home: str | os.PathLike[str], namespace: str, name: str) -> Path:
    """Where the volume's data is (it may not exist yet)."""
    return Path(home) / VOLUMES_FOLDER / _check("namespace", namespace) / _check("volume name", name)


def create_volume(
    home: str | os.PathLike[str], namespace: str, name: str, settings: dict[str, Any] | None = None
) -> tuple[Path, bool]:
    """The volume's folder, made if needed; True when it was made now."""
    folder = volume_folder(home, namespace, name)
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    record = folder.parent / f".{name}.json"
    if created or not record.exists():
        document = {"created_at": datetime.now(UTC).isoformat(), **(settings or {})}
        record.write_text(json.dumps(document, sort_keys=True), encoding="utf-8")
    return folder, created


def _used_bytes(folder: Path) -> int:
    total = 0
    for root, _folders, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def list_volumes(home: str | os.PathLike[str], namespace: str | None = None) -> list[dict[str, Any]]:
    """Every volume (of ``namespace``, or all), with what its claim asked for and the bytes it holds."""
    base = Path(home) / VOLUMES_FOLDER
    found: list[dict[str, Any]] = []
    if not base.is_dir():
        return found
    for space in sorted(base.iterdir()):
        if not space.is_dir() or (namespace is not None and space.name != namespace):
            continue
        for folder in sorted(space.iterdir()):
            if not folder.is_dir() or folder.name.startswith("."):
                continue
            record: dict[str, Any] = {}
            with contextlib.suppress(OSError, ValueError):
                record = json.loads((space / f".{folder.name}.json").read_text(encoding="utf-8"))
            found.append(
                {"namespace": space.name, "name": folder.name, "used_bytes": _used_bytes(folder), **record}
            )
    return found


def delete_volume(
    home: str | os.PathLike[str], namespace: str, name: str, *, missing_ok: bool = False
) -> bool:
    """Delete the volume and its data; VolumeError if there is none (unless ``missing_ok``)."""
    folder = volume_folder(home, namespace, name)
    if not folder.is_dir():
        if missing_ok:
            return False
        raise VolumeError(f"no volume {name!r} in namespace {namespace!r}")
    shutil.rmtree(folder)
    (folder.parent / f".{name}.json").unlink(missing_ok=True)
    return True
