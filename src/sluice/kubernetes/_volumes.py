"""Volumes: PersistentVolumeClaims, secrets and config maps as files, empty dirs, ephemeral volumes.

Compiled as kfp-kubernetes does. Under a sandboxed execution profile the engine mounts them for real
(``sluice.engine._volumes``); under ``host`` such a task fails with "volumes need a sandboxed execution
profile" rather than running without its volume.
"""

from __future__ import annotations

from typing import Any

from sluice import dsl
from sluice.dsl._internal import PipelineChannel, PipelineTask
from sluice.kubernetes._config import definition_error, kubernetes_config, parameter_input

__all__ = [
    "CreatePVC",
    "DeletePVC",
    "add_ephemeral_volume",
    "empty_dir_mount",
    "mount_pvc",
    "use_config_map_as_volume",
    "use_secret_as_volume",
]


def use_secret_as_volume(
    task: PipelineTask, secret_name: Any, mount_path: str, optional: bool = False
) -> PipelineTask:
    """Mount a secret's keys as files under ``mount_path``."""
    config = kubernetes_config(task, "use_secret_as_volume")
    entry: dict[str, Any] = {
        "mountPath": mount_path,
        "optional": bool(optional),
        "secretNameParameter": parameter_input(task, secret_name, "use_secret_as_volume", "secret_name"),
    }
    if isinstance(secret_name, str):
        entry["secretName"] = secret_name
    config.setdefault("secretAsVolume", []).append(entry)
    return task


def use_config_map_as_volume(
    task: PipelineTask, config_map_name: Any, mount_path: str, optional: bool = False
) -> PipelineTask:
    """Mount a config map's keys as files under ``mount_path``."""
    config = kubernetes_config(task, "use_config_map_as_volume")
    entry: dict[str, Any] = {
        "mountPath": mount_path,
        "optional": bool(optional),
        "configMapNameParameter": parameter_input(
            task, config_map_name, "use_config_map_as_volume", "config_map_name"
        ),
    }
    if isinstance(config_map_name, str):
        entry["configMapName"] = config_map_name
    config.setdefault("configMapAsVolume", []).append(entry)
    return task


def mount_pvc(task: PipelineTask, pvc_name: Any, mount_path: str, sub_path: str = "") -> PipelineTask:
    """Mount a PersistentVolumeClaim (a name, a pipeline parameter, or ``CreatePVC().outputs['name']``)."""
    config = kubernetes_config(task, "mount_pvc")
    entry: dict[str, Any] = {
        "mountPath": mount_path,
        "pvcNameParameter": parameter_input(task, pvc_name, "mount_pvc", "pvc_name"),
    }
    if sub_path:
        entry["subPath"] = sub_path
    # The deprecated reference kfp-kubernetes still writes beside the parameter.
    if isinstance(pvc_name, str):
        entry["constant"] = pvc_name
    elif isinstance(pvc_name, PipelineChannel):
        if pvc_name.producer is None:
            entry["componentInputParameter"] = pvc_name.name
        else:
            entry["taskOutputParameter"] = {
                "producerTask": pvc_name.producer_name,
                "outputParameterKey": pvc_name.name,
            }
    config.setdefault("pvcMount", []).append(entry)
    return task


def empty_dir_mount(
    task: PipelineTask,
    volume_name: str,
    mount_path: str,
    medium: str | None = None,
    size_limit: str | None = None,
) -> PipelineTask:
    """Mount an empty folder (``medium='Memory'`` for a tmpfs)."""
    config = kubernetes_config(task, "empty_dir_mount")
    entry: dict[str, Any] = {"volumeName": volume_name, "mountPath": mount_path}
    if medium is not None:
        entry["medium"] = medium
    if size_limit is not None:
        entry["sizeLimit"] = size_limit
    config.setdefault("emptyDirMounts", []).append(entry)
    return task


def add_ephemeral_volume(  # noqa: PLR0917  (kfp-kubernetes' signature)
    task: PipelineTask,
    volume_name: str,
    mount_path: str,
    access_modes: list[str],
    size: str,
    storage_class_name: str | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
) -> PipelineTask:
    """A generic ephemeral volume, made for the task and deleted with it."""
    config = kubernetes_config(task, "add_ephemeral_volume")
    if not access_modes:
        raise definition_error(task, "kubernetes.add_ephemeral_volume(): give at least one access mode")
    entry: dict[str, Any] = {
        "volumeName": volume_name,
        "mountPath": mount_path,
        "accessModes": list(access_modes),
        "size": size,
    }
    if storage_class_name is None:
        entry["defaultStorageClass"] = True
    elif storage_class_name:
        entry["storageClassName"] = storage_class_name
    if labels or annotations:
        metadata: dict[str, Any] = {}
        if labels:
            metadata["labels"] = dict(labels)
        if annotations:
            metadata["annotations"] = dict(annotations)
        entry["metadata"] = metadata
    config.setdefault("genericEphemeralVolume", []).append(entry)
    return task


@dsl.container_component
def CreatePVC(  # noqa: PLR0917  (kfp-kubernetes' name and signature)
    name: dsl.OutputPath(str),  # type: ignore[valid-type]
    access_modes: list[str],
    size: str,
    pvc_name: str | None = None,
    pvc_name_suffix: str | None = None,
    storage_class_name: str | None = "",
    volume_name: str | None = None,
    annotations: dict[str, str] | None = None,
    data_source: dict[str, str] | None = None,
) -> dsl.ContainerSpec:
    """Create a PersistentVolumeClaim for the tasks after it; ``name`` is the claim's name.

    Args:
        access_modes: The claim's access modes, e.g. ``['ReadWriteOnce']``.
        size: The storage it requests, e.g. ``'5Gi'``.
        pvc_name: Its name (or give ``pvc_name_suffix`` for a generated one).
        pvc_name_suffix: The suffix of a name generated from the run's.
        storage_class_name: The storage class (None: the cluster's default; '': none).
        volume_name: An existing PersistentVolume to bind it to.
        annotations: The claim's annotations.
        data_source: What to fill it from (``apiGroup``, ``kind``, ``name``), e.g. a VolumeSnapshot.
    """
    return dsl.ContainerSpec(image="argostub/createpvc")


@dsl.container_component
def DeletePVC(pvc_name: str) -> dsl.ContainerSpec:
    """Delete a PersistentVolumeClaim, e.g. ``CreatePVC().outputs['name']``.

    Args:
        pvc_name: The claim's name.
    """
    return dsl.ContainerSpec(image="argostub/deletepvc")
