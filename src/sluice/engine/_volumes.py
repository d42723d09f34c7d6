"""kfp-kubernetes volumes for tasks under a sandboxed execution profile, mounted for real at the paths the
pipeline asks for.

- ``CreatePVC`` / ``DeletePVC`` run in the engine: a named volume is a folder the run's namespace owns
  (``sluice.sandbox.volume_folder``), kept between tasks and runs until deleted; the task's ``name``
  output is the volume's name.
- ``mount_pvc``: the volume's folder (or its ``subPath``) bound writable at ``mountPath``.
- ``use_secret_as_volume`` / ``use_config_map_as_volume``: one file per key, in a private folder the
  launcher makes for each attempt (outside the artifact root, removed when it ends), bound read-only.
- ``empty_dir_mount``: a fresh folder per attempt; ``medium: Memory`` a tmpfs (of ``sizeLimit``).
- ``add_ephemeral_volume``: a fresh folder per attempt.
Size limits of folders on disk (a claim's ``size``, an on-disk empty dir's ``sizeLimit``) and storage
classes cannot be honoured here: they are recorded on the task and warned about once per run.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from sluice.engine._errors import TaskError
from sluice.engine._graph import Node
from sluice.ir import PipelineSpec, PlatformSpec
from sluice.sandbox import Mount, VolumeError, create_volume, delete_volume, parse_size, volume_folder

__all__ = ["PVC_IMAGES", "VolumeMounts", "pvc_command", "volume_warning"]

PVC_IMAGES = {"argostub/createpvc": "CreatePVC", "argostub/deletepvc": "DeletePVC"}
_NOT_HONOURED = "not enforced on this machine (a folder on its disk)"


def _inputs(executor_input: dict[str, Any]) -> dict[str, Any]:
    return dict((executor_input.get("inputs") or {}).get("parameterValues") or {})


def _volume_name(text: str) -> str:
    return re.sub(r"[^a-z0-9.-]+", "-", text.lower()).strip("-.")[:253] or "volume"


def pvc_command(  # noqa: PLR0917  (one call site)
    home: Any, namespace: str, run_id: str, node: Node, image: str, executor_input: dict[str, Any]
) -> tuple[list[str], dict[str, Any]]:
    """Do what kfp-kubernetes' CreatePVC/DeletePVC ask, here; the command the task then runs (writing the
    ``name`` output) and what to record on it."""
    inputs = _inputs(executor_input)
    try:
        if PVC_IMAGES[image] == "CreatePVC":
            name = inputs.get("pvc_name") or ""
            if not name:
                suffix = str(inputs.get("pvc_name_suffix") or "")
                name = _volume_name(f"{run_id[:8]}{suffix}")
            settings = {
                key: inputs[key]
                for key in ("size", "access_modes", "storage_class_name", "annotations")
                if inputs.get(key) not in (None, "", [], {})
            }
            _folder, created = create_volume(home, namespace, str(name), settings)
            output = ((executor_input.get("outputs") or {}).get("parameters") or {}).get("name") or {}
            target = output.get("outputFile")
            if not target:
                raise TaskError(node.path, "CreatePVC: its output 'name' has no file to write")
            record = {"volume": str(name), "namespace": namespace, "created": created, **settings}
            return ["sh", "-c", 'printf %s "$0" > "$1"', str(name), str(target)], record
        name = str(inputs.get("pvc_name") or "")
        deleted = delete_volume(home, namespace, name, missing_ok=True)
        return ["true"], {"volume": name, "namespace": namespace, "deleted": deleted}
    except VolumeError as error:
        raise TaskError(node.path, f"{PVC_IMAGES[image]}: {error}") from None


def _check_mount_path(node: Node, path: Any, setting: str) -> str:
    if not isinstance(path, str) or not path.startswith("/") or ".." in PurePosixPath(path).parts:
        raise TaskError(
            node.path, f"{setting}: mountPath must be an absolute path without '..', got {path!r}"
        )
    if path in {"/", "/proc", "/dev", "/usr", "/etc", "/tmp"} or path.startswith(("/proc/", "/dev/")):
        raise TaskError(node.path, f"{setting}: cannot mount a volume over {path}")
    return path


class VolumeMounts:
    """A sandboxed task's kfp-kubernetes volumes as mounts (``platform``: the run's PlatformSettings)."""

    def __init__(self, platform: Any) -> None:
        self.platform = platform

    def for_task(self, node: Node, config: dict[str, Any], record: dict[str, Any]) -> tuple[Mount, ...]:
        """The task's mounts; what cannot be honoured goes to ``record['not_applied']``."""
        ctx = self.platform.ctx
        mounts: list[Mount] = []
        not_applied: dict[str, Any] = {}
        for entry in _entries(node, config, "pvcMount"):
            target = _check_mount_path(node, entry.get("mountPath"), "mount_pvc")
            name = self.platform._object_name(node, entry, "pvcNameParameter", "constant", "mount_pvc")
            try:
                folder = volume_folder(ctx.home, ctx.namespace, name)
            except VolumeError as error:
                raise TaskError(node.path, f"mount_pvc: {error}") from None
            if not folder.is_dir():
                raise TaskError(
                    node.path,
                    f"mount_pvc: no volume {name!r} in namespace {ctx.namespace!r} (make it with kfp-kubernetes' "
                    f"CreatePVC earlier in the pipeline, or: sluice volumes create {name})",
                )
            sub_path = str(entry.get("subPath") or "")
            if sub_path:
                parts = PurePosixPath(sub_path).parts
                if PurePosixPath(sub_path).is_absolute() or ".." in parts:
                    raise TaskError(node.path, f"mount_pvc: subPath {sub_path!r} must stay inside the volume")
                root = folder
                folder = folder.joinpath(*parts)
                # Bound by bwrap as the engine's user: a link a task left in the volume must not lead out.
                for depth in range(1, len(parts) + 1):
                    if root.joinpath(*parts[:depth]).is_symlink():
                        raise TaskError(
                            node.path,
                            f"mount_pvc: subPath {sub_path!r} of volume {name!r} goes through a symbolic link",
                        )
                folder.mkdir(parents=True, exist_ok=True)
            mounts.append(Mount(target, str(folder)))
        for key, setting, reader in (
            ("secretAsVolume", "use_secret_as_volume", self._secret_files),
            ("configMapAsVolume", "use_config_map_as_volume", self._config_map_files),
        ):
            for entry in _entries(node, config, key):
                target = _check_mount_path(node, entry.get("mountPath"), setting)
                if key == "secretAsVolume":
                    name = self.platform._object_name(
                        node, entry, "secretNameParameter", "secretName", setting
                    )
                else:
                    name = self.platform._object_name(
                        node, entry, "configMapNameParameter", "configMapName", setting
                    )
                files = reader(node, name)
                if files is None:
                    if not entry.get("optional"):
                        kind = "secret" if key == "secretAsVolume" else "config map"
                        raise TaskError(
                            node.path,
                            f"{setting}: {kind} {name!r} does not exist in namespace {ctx.namespace!r}",
                        )
                    files = {}
                mounts.append(
                    Mount(target, read_only=True, temporary=True, files=tuple(sorted(files.items())))
                )
        for entry in _entries(node, config, "emptyDirMounts"):
            target = _check_mount_path(node, entry.get("mountPath"), "empty_dir_mount")
            limit = entry.get("sizeLimit")
            size = _size(node, limit, "empty_dir_mount") if limit else None
            if str(entry.get("medium") or "") == "Memory":
                mounts.append(Mount(target, None, size=size))
            else:
                if limit:
                    not_applied[f"emptyDirMounts[{entry.get('volumeName')}].sizeLimit"] = (
                        f"{limit}: {_NOT_HONOURED}"
                    )
                mounts.append(Mount(target, temporary=True))
        for entry in _entries(node, config, "genericEphemeralVolume"):
            target = _check_mount_path(node, entry.get("mountPath"), "add_ephemeral_volume")
            if entry.get("size"):
                not_applied[f"genericEphemeralVolume[{entry.get('volumeName')}].size"] = (
                    f"{entry['size']}: {_NOT_HONOURED}"
                )
            mounts.append(Mount(target, temporary=True))
        targets = [mount.target for mount in mounts]
        duplicate = next((target for target in targets if targets.count(target) > 1), None)
        if duplicate is not None:
            raise TaskError(node.path, f"two volumes are mounted at {duplicate}")
        if mounts:
            record["volumes"] = [
                {
                    "mount_path": mount.target,
                    "read_only": mount.read_only,
                    "tmpfs": mount.source is None and not mount.temporary,
                }
                for mount in mounts
            ]
        if not_applied:
            record.setdefault("not_applied", {}).update(not_applied)
        return tuple(mounts)

    def _secret_files(self, node: Node, name: str) -> dict[str, bytes] | None:
        data: dict[str, bytes] | None = self.platform._secret(node, name)
        return data

    def _config_map_files(self, node: Node, name: str) -> dict[str, bytes] | None:
        values = self.platform._config_map(node, name)
        return None if values is None else {key: str(value).encode() for key, value in values.items()}


def _entries(node: Node, config: dict[str, Any], key: str) -> list[dict[str, Any]]:
    entries = config.get(key) or []
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise TaskError(node.path, f"kfp-kubernetes setting {key} is not a list of objects")
    return entries


def _size(node: Node, value: Any, setting: str) -> int:
    try:
        return parse_size(value)
    except ValueError as error:
        raise TaskError(node.path, f"{setting}: {error}") from None


def volume_warning(spec: PipelineSpec, platform_spec: PlatformSpec | None) -> str | None:
    """One sentence on what a sandboxed run's volumes ask for that this machine cannot honour."""
    from sluice.engine._platform import kubernetes_executors

    found: list[str] = []
    for label, config in kubernetes_executors(platform_spec).items():
        if not isinstance(config, dict):
            continue
        for entry in config.get("emptyDirMounts") or []:
            if isinstance(entry, dict) and entry.get("sizeLimit") and entry.get("medium") != "Memory":
                found.append(f"empty_dir_mount sizeLimit ({label})")
        for entry in config.get("genericEphemeralVolume") or []:
            if isinstance(entry, dict) and entry.get("size"):
                found.append(f"add_ephemeral_volume size ({label})")
    executors = spec.deployment_spec.executors if spec.deployment_spec else {}
    for label, executor in executors.items():
        if executor.container is not None and executor.container.image == "argostub/createpvc":
            found.append(f"CreatePVC size and storage class ({label})")
    if not found:
        return None
    return "volume size limits on disk are recorded but not enforced on this machine: " + "; ".join(found)
