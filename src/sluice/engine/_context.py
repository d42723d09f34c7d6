"""What every part of a running pipeline reads: which run it is, its pipeline, where it writes, how it was
asked to run, and where it reports (the journal of store writes, the observer)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sluice.artifacts import ArtifactStore
from sluice.dsl._internal import S3_MOUNT_VARIABLE
from sluice.engine._graph import Node
from sluice.engine._observer import RunObserver
from sluice.engine._placeholders import PlaceholderContext
from sluice.engine._resources import Capacity
from sluice.ir import PipelineSpec, PlatformSpec
from sluice.sandbox import Profile
from sluice.store import RunWriter, Store

__all__ = ["EngineOptions", "RunContext", "run_resource_name"]

# Kubernetes' alphabet for generated name suffixes (no vowels, no look-alikes).
_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def run_resource_name(pipeline_name: str, run_id: str) -> str:
    """``<pipeline>-<5 characters>``: the shape of a KFP run's workflow name, stable for a run (so resuming
    gives the same name)."""
    import hashlib

    number = int.from_bytes(hashlib.sha256(run_id.encode()).digest()[:8], "big")
    suffix = ""
    for _ in range(5):
        number, index = divmod(number, len(_SUFFIX_ALPHABET))
        suffix += _SUFFIX_ALPHABET[index]
    return f"{pipeline_name.rsplit('/', 1)[-1]}-{suffix}"


@dataclass
class EngineOptions:
    """How to run: caching, concurrency, machine resources, timeouts, logs, the tasks' base environment,
    and where tasks run."""

    cache: bool = True
    parallelism: int | None = None  # None: the CPU count
    gpus: int | None = None  # None: $SLUICE_GPUS, else nvidia-smi
    task_timeout: float | None = None  # seconds, for tasks without their own
    stream_logs: bool = False
    cwd: str = field(default_factory=os.getcwd)
    use_fork_server: bool = True
    handle_sigint: bool = True
    workspace: str | None = None  # the run's shared folder; None: <run folder>/workspace
    # What every task's environment starts from, its own variables added on top (sluice.launchers'
    # clean_environment for a service). None: the user's environment without Sluice's settings.
    base_env: Mapping[str, str] | None = None
    launcher: str = "local"  # "local": this machine; "ray": the nodes of a Ray cluster
    ray_address: str | None = None  # None: $RAY_ADDRESS, else a new local Ray
    # What the run's tasks take resources from; None: this machine's own. A server shares one among runs.
    capacity: Capacity | None = None
    profile: Profile | None = None  # a sandboxed execution profile (sluice.sandbox); None: host processes


@dataclass(eq=False)
class RunContext:
    """One run's fixed facts and services, shared by the parts of the engine; nothing here changes while
    the run goes on (the journal and the observer are where changes go)."""

    store: Store
    run_id: str
    spec: PipelineSpec
    platform_spec: PlatformSpec | None
    arguments: dict[str, Any]
    artifacts: ArtifactStore
    home: Path
    job_name: str
    created_at: datetime
    options: EngineOptions
    journal: RunWriter
    observer: RunObserver
    namespace: str = "default"  # where its secrets and config maps are looked up (its "pods" namespace)
    service_account: str = ""  # the run's, as KFP's API takes it ("" : the default)
    run_uri: str = field(init=False)  # the run's folder under the artifact root
    run_dir: Path = field(init=False)  # where its files are on this machine (the same for a local root)
    _create_time: str = field(init=False)

    def __post_init__(self) -> None:
        self.run_uri = self.artifacts.uri_for(self.run_id)
        self.run_dir = self.artifacts.local_path(self.run_uri)
        self._create_time = self.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    @property
    def pipeline_name(self) -> str:
        info = self.spec.pipeline_info
        return (info.name if info else None) or "pipeline"

    @property
    def job_resource_name(self) -> str:
        """``{{$.pipeline_job_resource_name}}``: as KFP's backend names a run's workflow, the pipeline's name
        (its last ``/`` part), a dash and five characters, here derived from the run's ID."""
        return run_resource_name(self.pipeline_name, self.run_id)

    @property
    def workspace_dir(self) -> Path:
        """The folder the run's tasks share (``{{$.workspace_path}}``, KFP's ``/kfp-workspace``)."""
        if self.options.workspace:
            return Path(self.options.workspace).resolve()
        return self.run_dir / "workspace"

    @property
    def active_deadline_seconds(self) -> int | None:
        """How long the run may take once started (``pipelineConfig.activeDeadlineSeconds``), if limited."""
        platforms = self.platform_spec.platforms if self.platform_spec else {}
        for single in platforms.values():
            seconds = single.pipeline_config.active_deadline_seconds if single.pipeline_config else None
            if seconds:
                return seconds
        return None

    @property
    def has_workspace(self) -> bool:
        """Whether the pipeline asks for a workspace (``PipelineConfig(workspace=...)``)."""
        platforms = self.platform_spec.platforms if self.platform_spec else {}
        return any(
            single.pipeline_config is not None and single.pipeline_config.workspace is not None
            for single in platforms.values()
        )

    def placeholder_context(self, node: Node) -> PlaceholderContext:
        """What ``{{$.pipeline_job_name}}``, ``{{$.pipeline_task_name}}`` and the like mean for ``node``."""
        return PlaceholderContext(
            job_name=self.job_name,
            job_resource_name=self.job_resource_name,
            job_id=self.run_id,
            task_name=node.display_name,
            task_id=node.id,
            pipeline_root=self.artifacts.root_uri,
            create_time=self._create_time,
            schedule_time=self._create_time,
            workspace=str(self.workspace_dir),
            s3_mount=self.artifacts.task_environment().get(S3_MOUNT_VARIABLE, ""),
        )
