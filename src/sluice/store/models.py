"""The ORM models: one class per table, mapped over the Core tables of ``sluice.store._tables`` (where the
schema and its conventions are written down). The REST service queries these; the engine uses the tables.

JSON columns hold plain dicts/lists (assign a new value to change one: in-place mutation is not tracked).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, event, select
from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, relationship

from . import _tables as tables
from ._states import (
    ArtifactState,
    EventType,
    ExecutionState,
    RecurringRunMode,
    RevisionState,
    RuntimeState,
    StorageState,
    TaskKind,
)
from ._tables import TAG_LENGTH
from ._types import new_id

__all__ = [
    "TAG_LENGTH",
    "ApiToken",
    "Artifact",
    "Association",
    "Attribution",
    "AuditEntry",
    "Base",
    "ConfigMap",
    "Context",
    "Deployment",
    "DeploymentAction",
    "DeploymentRevision",
    "Event",
    "Execution",
    "Experiment",
    "Namespace",
    "NamespaceMember",
    "NamespaceProfiles",
    "Pipeline",
    "PipelineTag",
    "PipelineVersion",
    "PipelineVersionTag",
    "RecurringRun",
    "RecurringRunFire",
    "Run",
    "RunMetric",
    "RunStateHistory",
    "Secret",
    "Task",
    "TaskStateHistory",
    "User",
]

JsonObject = dict[str, Any]


class Base(DeclarativeBase):
    """Declarative base of every Sluice table."""

    metadata = tables.metadata


class _RandomId:
    """Rows get their UUID when constructed, so related rows can refer to it before anything is flushed."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("id", new_id())
        super().__init__(**kwargs)


class Pipeline(_RandomId, Base):
    __table__ = tables.pipelines

    id: Mapped[str]
    name: Mapped[str]
    display_name: Mapped[str]
    description: Mapped[str]
    namespace: Mapped[str]
    created_at: Mapped[datetime]

    versions: Mapped[list[PipelineVersion]] = relationship(
        back_populates="pipeline", cascade="all, delete-orphan", passive_deletes=True
    )


class PipelineVersion(_RandomId, Base):
    __table__ = tables.pipeline_versions

    id: Mapped[str]
    pipeline_id: Mapped[str]
    name: Mapped[str]
    display_name: Mapped[str]
    description: Mapped[str]
    pipeline_spec: Mapped[JsonObject]
    platform_spec: Mapped[JsonObject | None]
    code_source_url: Mapped[str | None]
    package_url: Mapped[str | None]
    created_at: Mapped[datetime]

    pipeline: Mapped[Pipeline] = relationship(back_populates="versions")


class PipelineTag(Base):
    """One tag (key and value) of a pipeline: its own table, so lists filter on tags with an index."""

    __table__ = tables.pipeline_tags

    id: Mapped[int]
    pipeline_id: Mapped[str]
    key: Mapped[str]
    value: Mapped[str]


class PipelineVersionTag(Base):
    """One tag (key and value) of a pipeline version."""

    __table__ = tables.pipeline_version_tags

    id: Mapped[int]
    pipeline_version_id: Mapped[str]
    key: Mapped[str]
    value: Mapped[str]


class Experiment(_RandomId, Base):
    __table__ = tables.experiments

    id: Mapped[str]
    name: Mapped[str]
    display_name: Mapped[str]
    description: Mapped[str]
    namespace: Mapped[str]
    storage_state: Mapped[StorageState]
    created_at: Mapped[datetime]
    last_run_created_at: Mapped[datetime | None]


class Run(_RandomId, Base):
    __table__ = tables.runs

    id: Mapped[str]
    experiment_id: Mapped[str]
    display_name: Mapped[str]
    description: Mapped[str]
    pipeline_version_id: Mapped[str | None]
    pipeline_spec: Mapped[JsonObject]
    platform_spec: Mapped[JsonObject | None]
    runtime_config: Mapped[JsonObject]
    state: Mapped[RuntimeState]
    storage_state: Mapped[StorageState]
    created_at: Mapped[datetime]
    scheduled_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    error: Mapped[JsonObject | None]
    recurring_run_id: Mapped[str | None]
    service_account: Mapped[str]
    cache_enabled: Mapped[bool]
    lease_owner: Mapped[str | None]
    lease_heartbeat_at: Mapped[datetime | None]
    warnings: Mapped[list[str] | None]
    created_by: Mapped[str | None]
    namespace: Mapped[str]

    experiment: Mapped[Experiment] = relationship()
    pipeline_version: Mapped[PipelineVersion | None] = relationship()
    tasks: Mapped[list[Task]] = relationship(
        back_populates="run", cascade="all, delete-orphan", passive_deletes=True, foreign_keys="Task.run_id"
    )
    state_history: Mapped[list[RunStateHistory]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="RunStateHistory.id"
    )


@event.listens_for(Run, "before_insert")
def _copy_experiment_namespace(mapper: Any, connection: Connection, run: Run) -> None:
    if not run.namespace:
        found = connection.scalar(select(Experiment.namespace).where(Experiment.id == run.experiment_id))
        run.namespace = found or ""


class RunStateHistory(Base):
    __table__ = tables.run_state_history

    id: Mapped[int]
    run_id: Mapped[str]
    state: Mapped[RuntimeState]
    at: Mapped[datetime]
    error: Mapped[JsonObject | None]


class Task(_RandomId, Base):
    __table__ = tables.tasks

    id: Mapped[str]
    run_id: Mapped[str]
    parent_task_id: Mapped[str | None]
    name: Mapped[str]
    display_name: Mapped[str]
    path: Mapped[str]
    iteration_index: Mapped[int | None]
    kind: Mapped[TaskKind]
    state: Mapped[RuntimeState]
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    attempts: Mapped[int]
    cache_fingerprint: Mapped[str | None]
    cached_from_task_id: Mapped[str | None]
    inputs: Mapped[JsonObject | None]
    outputs: Mapped[JsonObject | None]
    error: Mapped[JsonObject | None]
    executor_input: Mapped[JsonObject | None]
    pid: Mapped[int | None]
    log_uri: Mapped[str | None]
    platform: Mapped[JsonObject | None]
    node_id: Mapped[str | None]
    node_address: Mapped[str | None]

    run: Mapped[Run] = relationship(back_populates="tasks", foreign_keys=[tables.tasks.c.run_id])
    state_history: Mapped[list[TaskStateHistory]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="TaskStateHistory.id"
    )


class TaskStateHistory(Base):
    __table__ = tables.task_state_history

    id: Mapped[int]
    task_id: Mapped[str]
    state: Mapped[RuntimeState]
    at: Mapped[datetime]
    message: Mapped[str | None]


class Artifact(_RandomId, Base):
    __table__ = tables.artifacts

    id: Mapped[str]
    uri: Mapped[str]
    schema_title: Mapped[str]
    schema_version: Mapped[str]
    name: Mapped[str]
    display_name: Mapped[str]
    metadata_: Mapped[JsonObject] = column_property(tables.artifacts.c.metadata)
    state: Mapped[ArtifactState]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Execution(_RandomId, Base):
    __table__ = tables.executions

    id: Mapped[str]
    run_id: Mapped[str | None]
    task_id: Mapped[str | None]
    type: Mapped[str]
    name: Mapped[str]
    state: Mapped[ExecutionState]
    properties: Mapped[JsonObject]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Event(Base):
    __table__ = tables.events

    id: Mapped[int]
    execution_id: Mapped[str]
    artifact_id: Mapped[str]
    type: Mapped[EventType]
    key: Mapped[str]
    list_index: Mapped[int | None]
    at: Mapped[datetime]


class Context(_RandomId, Base):
    __table__ = tables.contexts

    id: Mapped[str]
    type: Mapped[str]
    name: Mapped[str]
    properties: Mapped[JsonObject]
    created_at: Mapped[datetime]


class Association(Base):
    """An execution belongs to a context."""

    __table__ = tables.associations

    context_id: Mapped[str]
    execution_id: Mapped[str]


class Attribution(Base):
    """An artifact belongs to a context."""

    __table__ = tables.attributions

    context_id: Mapped[str]
    artifact_id: Mapped[str]


class RunMetric(Base):
    """One scalar metric a run logged, so runs can be filtered and sorted by it."""

    __table__ = tables.run_metrics

    id: Mapped[int]
    run_id: Mapped[str]
    task_id: Mapped[str | None]
    artifact_id: Mapped[str | None]
    name: Mapped[str]
    value: Mapped[float]
    created_at: Mapped[datetime]


class RecurringRun(_RandomId, Base):
    __table__ = tables.recurring_runs

    id: Mapped[str]
    display_name: Mapped[str]
    description: Mapped[str]
    experiment_id: Mapped[str]
    pipeline_version_id: Mapped[str | None]
    latest_of_pipeline_id: Mapped[str | None]
    pipeline_spec: Mapped[JsonObject | None]
    platform_spec: Mapped[JsonObject | None]
    runtime_config: Mapped[JsonObject]
    trigger: Mapped[JsonObject]
    start_at: Mapped[datetime | None]
    end_at: Mapped[datetime | None]
    max_concurrency: Mapped[int]
    no_catchup: Mapped[bool]
    mode: Mapped[RecurringRunMode]
    service_account: Mapped[str]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    next_fire_at: Mapped[datetime | None]
    last_fired_at: Mapped[datetime | None]


class RecurringRunFire(Base):
    """One scheduled firing; the unique key is what stops two schedulers from firing the same slot."""

    __table__ = tables.recurring_run_fires

    id: Mapped[int]
    recurring_run_id: Mapped[str]
    scheduled_for: Mapped[datetime]
    run_id: Mapped[str | None]
    fired_at: Mapped[datetime]


class Secret(_RandomId, Base):
    """A named set of secret values. ``data`` is one Fernet token (``sluice.secrets``) holding every key and
    value: the database alone reveals only the secret's name."""

    __table__ = tables.secrets

    id: Mapped[str]
    namespace: Mapped[str]
    name: Mapped[str]
    data: Mapped[str]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ConfigMap(_RandomId, Base):
    """A named set of plain configuration values (``{key: value}``)."""

    __table__ = tables.config_maps

    id: Mapped[str]
    namespace: Mapped[str]
    name: Mapped[str]
    data: Mapped[JsonObject]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Deployment(_RandomId, Base):
    """A model behind a stable URL (``/serving/{namespace}/{name}``). Traffic names revisions by number (no
    foreign-key cycle between the two tables); ``sluice.serving`` keeps these fields consistent."""

    __table__ = tables.deployments

    id: Mapped[str]
    namespace: Mapped[str]
    name: Mapped[str]
    description: Mapped[str]
    current_revision: Mapped[int | None]
    canary_revision: Mapped[int | None]
    canary_percent: Mapped[int]
    previous_revision: Mapped[int | None]
    pending_revision: Mapped[int | None]
    pending_canary_percent: Mapped[int | None]
    next_revision: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    revisions: Mapped[list[DeploymentRevision]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="DeploymentRevision.number"
    )


class DeploymentRevision(_RandomId, Base):
    """One version of a deployment: a model, the predictor that serves it, and its replicas."""

    __table__ = tables.deployment_revisions

    id: Mapped[str]
    deployment_id: Mapped[str]
    number: Mapped[int]
    model_uri: Mapped[str]
    predictor: Mapped[JsonObject]
    replicas: Mapped[int]
    resources: Mapped[JsonObject]
    run_id: Mapped[str | None]
    task_id: Mapped[str | None]
    output_name: Mapped[str | None]
    artifact_id: Mapped[str | None]
    state: Mapped[RevisionState]
    error: Mapped[str | None]
    created_at: Mapped[datetime]
    ready_at: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]


class DeploymentAction(Base):
    """What was done to a deployment, by whom and when (create, update, promote, rollback, scale, ...)."""

    __table__ = tables.deployment_actions

    id: Mapped[int]
    deployment_id: Mapped[str]
    action: Mapped[str]
    revision: Mapped[int | None]
    actor: Mapped[str]
    detail: Mapped[JsonObject]
    at: Mapped[datetime]


class User(_RandomId, Base):
    __table__ = tables.users

    id: Mapped[str]
    name: Mapped[str]
    is_admin: Mapped[bool]
    disabled: Mapped[bool]
    created_at: Mapped[datetime]


class ApiToken(_RandomId, Base):
    """A user's API token, kept only as its SHA-256 hash: the token itself is shown once, when made."""

    __table__ = tables.api_tokens

    id: Mapped[str]
    user_id: Mapped[str]
    token_hash: Mapped[str]
    description: Mapped[str]
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Namespace(_RandomId, Base):
    """A team's space (Kubeflow's profile). Quotas: None is no limit."""

    __table__ = tables.namespaces

    id: Mapped[str]
    name: Mapped[str]
    quota_gpus: Mapped[int | None]
    quota_cpus: Mapped[float | None]
    quota_memory_bytes: Mapped[float | None]
    quota_running_runs: Mapped[int | None]
    quota_running_tasks: Mapped[int | None]
    created_at: Mapped[datetime]


class NamespaceMember(Base):
    __table__ = tables.namespace_members

    id: Mapped[int]
    namespace_id: Mapped[str]
    user_id: Mapped[str]
    role: Mapped[str]


class AuditEntry(Base):
    """One write: who, what, when, from where. Never a token or a secret's value."""

    __table__ = tables.audit_log

    id: Mapped[int]
    at: Mapped[datetime]
    actor: Mapped[str]
    action: Mapped[str]
    namespace: Mapped[str]
    target: Mapped[str]
    source: Mapped[str]
    status: Mapped[int]


class NamespaceProfiles(Base):
    """A namespace's execution profiles: the one its runs get by default and those they may ask for
    (``allowed``: profile names; empty: only the default)."""

    __table__ = tables.namespace_profiles

    namespace: Mapped[str]
    default_profile: Mapped[str]
    allowed: Mapped[list[str]]
    updated_at: Mapped[datetime]
