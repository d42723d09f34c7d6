"""``dsl.PipelineConfig``: settings of a whole pipeline run, given with ``@dsl.pipeline(pipeline_config=...)``.

The compiler writes them where kfp does, into the Kubernetes platform spec's ``pipelineConfig``. A
``workspace`` gives the run a folder shared by all its tasks (``dsl.WORKSPACE_PATH_PLACEHOLDER``); on a
KFP cluster it is a PersistentVolumeClaim of ``size``, on one machine it is ``<run folder>/workspace``.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["KubernetesWorkspaceConfig", "PipelineConfig", "WorkspaceConfig"]

# A Kubernetes resource quantity as a volume size: a plain or decimal number, optionally with a unit.
_SIZE = re.compile(r"^(0|[1-9][0-9]*)(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|K|M|G|T|P|E)?$")
_INT32_MAX = 2**31 - 1


class KubernetesWorkspaceConfig:
    """Kubernetes settings of the workspace volume: ``pvcSpecPatch`` is merged into the claim's spec on a
    KFP cluster (e.g. ``{"storageClassName": "fast"}``); kept in the compiled pipeline, unused on one machine.
    """

    def __init__(self, pvcSpecPatch: dict[str, Any] | None = None) -> None:
        self.pvcSpecPatch = pvcSpecPatch or {}

    def set_pvcSpecPatch(self, patch: dict[str, Any]) -> None:
        self.pvcSpecPatch = patch


class WorkspaceConfig:
    """A folder shared by every task of a run, for the run's duration.

    Args:
        size: How much space it needs, as a Kubernetes quantity (``"10Gi"``, ``"500Mi"``). Required; a KFP
            cluster sizes the volume by it.
        kubernetes: Settings of the volume on a Kubernetes cluster.
    """

    def __init__(self, size: str, kubernetes: KubernetesWorkspaceConfig | None = None) -> None:
        self.size = size
        self.kubernetes = kubernetes or KubernetesWorkspaceConfig()

    @property
    def size(self) -> str:
        return self._size

    @size.setter
    def size(self, size: str) -> None:
        text = str(size).strip() if size is not None else ""
        if not text:
            raise ValueError("WorkspaceConfig(size=...) is required: give the workspace's size, e.g. '10Gi'")
        if _SIZE.match(text) is None:
            raise ValueError(
                f"WorkspaceConfig(size={size!r}) is not a size: use a Kubernetes quantity such as '10Gi', "
                "'500Mi' or '1Ti'"
            )
        self._size = text

    def set_size(self, size: str) -> None:
        self.size = size

    def set_kubernetes_config(self, kubernetes_config: KubernetesWorkspaceConfig) -> None:
        self.kubernetes = kubernetes_config

    def get_workspace(self) -> dict[str, Any]:
        """The workspace as the platform spec's ``pipelineConfig.workspace`` holds it."""
        workspace: dict[str, Any] = {"size": self.size}
        if self.kubernetes:
            workspace["kubernetes"] = {"pvcSpecPatch": self.kubernetes.pvcSpecPatch}
        return workspace


class PipelineConfig:
    """Settings of a whole run.

    Args:
        workspace: A folder shared by the run's tasks (see :class:`WorkspaceConfig`).
        ttl_seconds_after_finished, ttl_seconds_after_success, ttl_seconds_after_failure: How long a KFP
            cluster keeps the run's workflow resource after it ends; recorded, meaningless on one machine.
        active_deadline_seconds: The longest a run may take, from its start: past it, its running tasks
            are killed and the run fails (as Argo ends a workflow).
    """

    def __init__(
        self,
        workspace: WorkspaceConfig | None = None,
        ttl_seconds_after_finished: int | None = None,
        ttl_seconds_after_success: int | None = None,
        ttl_seconds_after_failure: int | None = None,
        active_deadline_seconds: int | None = None,
    ) -> None:
        if workspace is not None and not isinstance(workspace, WorkspaceConfig):
            raise TypeError(f"PipelineConfig(workspace=...) takes a dsl.WorkspaceConfig, not {workspace!r}")
        for name, value in (
            ("ttl_seconds_after_finished", ttl_seconds_after_finished),
            ("ttl_seconds_after_success", ttl_seconds_after_success),
            ("ttl_seconds_after_failure", ttl_seconds_after_failure),
            ("active_deadline_seconds", active_deadline_seconds),
        ):
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"PipelineConfig({name}=...) must be an int, got {type(value).__name__}")
            if not 0 <= value <= _INT32_MAX:
                raise ValueError(f"PipelineConfig({name}={value}) must be between 0 and {_INT32_MAX}")
        self.workspace = workspace
        self.ttl_seconds_after_finished = ttl_seconds_after_finished
        self.ttl_seconds_after_success = ttl_seconds_after_success
        self.ttl_seconds_after_failure = ttl_seconds_after_failure
        self.active_deadline_seconds = active_deadline_seconds

    def to_platform_config(self) -> dict[str, Any]:
        """The platform spec's ``pipelineConfig`` (camelCase JSON), with what is set; zero means unset, as in kfp."""
        config: dict[str, Any] = {}
        if self.workspace is not None:
            config["workspace"] = self.workspace.get_workspace()
        for key, value in (
            ("resourceTtlOnCompletion", self.ttl_seconds_after_finished),
            ("resourceTtlOnSuccess", self.ttl_seconds_after_success),
            ("resourceTtlOnFailure", self.ttl_seconds_after_failure),
            ("activeDeadlineSeconds", self.active_deadline_seconds),
        ):
            if value:
                config[key] = value
        return config
