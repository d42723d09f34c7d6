"""The ORM models: one class per table. The REST service queries these directly.

Conventions: ids are string UUIDs made by Python (``new_id``); timestamps are aware UTC datetimes with microseconds;
JSON columns hold plain dicts/lists (assign a new value to change one: in-place mutation is not tracked); states are
``StrEnum`` members stored as their names. Deleting a parent deletes its children in the database itself
(``ON DELETE CASCADE``), so bulk deletes and the ORM agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
    event,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

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
from ._types import (
    AutoIncrementId,
    IdString,
    JsonDocument,
    LargeText,
    StrEnumColumn,
    UtcDateTime,
    new_id,
    utcnow,
)

__all__ = [
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

NAME_LENGTH = 255
URL_LENGTH = 2048
# Tags are indexed (key, value): 2 x 255 utf8mb4 characters stay within MySQL's key size.
TAG_LENGTH = 255
# MySQL/InnoDB keys are at most 3072 bytes and utf8mb4 takes 4 bytes a character: run_id (36) + path (700) fit.
TASK_PATH_LENGTH = 700

# Deterministic constraint names, so migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# utf8mb4_bin: names compare case-sensitively and sort by code point, as on SQLite and PostgreSQL.
MYSQL_TABLE_OPTIONS = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


class Base(DeclarativeBase):
    """Declarative base of every Sluice table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class _RandomId:
    """Rows get their UUID when constructed, so related rows can refer to it before anything is flushed."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("id", new_id())
        super().__init__(**kwargs)


def _id_column() -> Mapped[str]:
    return mapped_column(IdString(), primary_key=True, default=new_id)


def _created_at_column() -> Mapped[datetime]:
    return mapped_column(UtcDateTime(), default=utcnow, nullable=False)


# ---------------------------------------------------------------------------------------------------------------
# Pipelines, experiments, runs
# ---------------------------------------------------------------------------------------------------------------


class Pipeline(_RandomId, Base):
    __tablename__ = "pipelines"
    __table_args__ = (
        UniqueConstraint("namespace", "name"),
        Index(None, "created_at"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[str] = _id_column()
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    display_name: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    description: Mapped[str] = mapped_column(LargeText, default="")
    # "" is the single-user namespace; not NULL, so (namespace, name) uniqueness holds there too.
    namespace: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    created_at: Mapped[datetime] = _created_at_column()

    versions: Mapped[list[PipelineVersion]] = relationship(
        back_populates="pipeline", cascade="all, delete-orphan", passive_deletes=True
    )


class PipelineVersion(_RandomId, Base):
    __tablename__ = "pipeline_versions"
    __table_args__ = (
        UniqueConstraint("pipeline_id", "name"),
        Index(None, "pipeline_id", "created_at"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[str] = _id_column()
    pipeline_id: Mapped[str] = mapped_column(IdString(), ForeignKey("pipelines.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    display_name: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    description: Mapped[str] = mapped_column(LargeText, default="")
    pipeline_spec: Mapped[JsonObject] = mapped_column(JsonDocument)
    platform_spec: Mapped[JsonObject | None] = mapped_column(JsonDocument, default=None)
    code_source_url: Mapped[str | None] = mapped_column(String(URL_LENGTH), default=None)
    package_url: Mapped[str | None] = mapped_column(String(URL_LENGTH), default=None)
    created_at: Mapped[datetime] = _created_at_column()

    pipeline: Mapped[Pipeline] = relationship(back_populates="versions")


class PipelineTag(Base):
    """One tag (key and value) of a pipeline: its own table, so lists filter on tags with an index."""

    __tablename__ = "pipeline_tags"
    __table_args__ = (
        UniqueConstraint("pipeline_id", "key"),
        Index(None, "key", "value"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True, autoincrement=True)
    pipeline_id: Mapped[str] = mapped_column(IdString(), ForeignKey("pipelines.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(TAG_LENGTH))
    value: Mapped[str] = mapped_column(String(TAG_LENGTH))


class PipelineVersionTag(Base):
    """One tag (key and value) of a pipeline version."""

    __tablename__ = "pipeline_version_tags"
    __table_args__ = (
        UniqueConstraint("pipeline_version_id", "key"),
        Index(None, "key", "value"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True, autoincrement=True)
    pipeline_version_id: Mapped[str] = mapped_column(
        IdString(), ForeignKey("pipeline_versions.id", ondelete="CASCADE")
    )
    key: Mapped[str] = mapped_column(String(TAG_LENGTH))
    value: Mapped[str] = mapped_column(String(TAG_LENGTH))


class Experiment(_RandomId, Base):
    __tablename__ = "experiments"
    __table_args__ = (
        UniqueConstraint("namespace", "name"),
        Index(None, "created_at"),
        Index(None, "storage_state"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[str] = _id_column()
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    display_name: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    description: Mapped[str] = mapped_column(LargeText, default="")
    namespace: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    storage_state: Mapped[StorageState] = mapped_column(
        StrEnumColumn(StorageState), default=StorageState.AVAILABLE
    )
    created_at: Mapped[datetime] = _created_at_column()
    last_run_created_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)


class Run(_RandomId, Base):
    __tablename__ = "runs"
    __table_args__ = (
        Index(None, "experiment_id", "created_at"),
        Index(None, "created_at"),
        Index(None, "finished_at"),
        Index(None, "display_name"),
        Index(None, "storage_state", "created_at"),
        Index(None, "state", "created_at"),  # the runs list filtered by state, newest first
        Index(None, "pipeline_version_id"),
        Index(None, "recurring_run_id"),
        # Finding runs that need an engine: active state, stale or missing heartbeat.
        Index(None, "state", "lease_heartbeat_at"),
        # Multi-user lists: a namespace's runs, newest first, by state.
        Index(None, "namespace", "created_at"),
        Index(None, "namespace", "state", "created_at"),
        Index(None, "namespace", "display_name"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[str] = _id_column()
    # RESTRICT: deleting an experiment must not silently erase its run history.
    experiment_id: Mapped[str] = mapped_column(IdString(), ForeignKey("experiments.id", ondelete="RESTRICT"))
    display_name: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    description: Mapped[str] = mapped_column(LargeText, default="")
    # The run keeps its own snapshot of the spec, so deleting the version only unlinks it.
    pipeline_version_id: Mapped[str | None] = mapped_column(
        IdString(), ForeignKey("pipeline_versions.id", ondelete="SET NULL"), default=None
    )
    pipeline_spec: Mapped[JsonObject] = mapped_column(JsonDocument)
    platform_spec: Mapped[JsonObject | None] = mapped_column(JsonDocument, default=None)
    # {"parameters": {...}, "pipeline_root": "..."} as in KFP's RuntimeConfig.
    runtime_config: Mapped[JsonObject] = mapped_column(JsonDocument, default=dict)
    state: Mapped[RuntimeState] = mapped_column(StrEnumColumn(RuntimeState), default=RuntimeState.PENDING)
    storage_state: Mapped[StorageState] = mapped_column(
        StrEnumColumn(StorageState), default=StorageState.AVAILABLE
    )
    created_at: Mapped[datetime] = _created_at_column()
    scheduled_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    error: Mapped[JsonObject | None] = mapped_column(JsonDocument, default=None)
    recurring_run_id: Mapped[str | None] = mapped_column(
        IdString(), ForeignKey("recurring_runs.id", ondelete="SET NULL"), default=None
    )
    service_account: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    cache_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Engine lease: which engine process drives the run, and when it last said it is alive.
    lease_owner: Mapped[str | None] = mapped_column(String(NAME_LENGTH), default=None)
    lease_heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    # What the run's settings ask for and this machine does not do (kfp-kubernetes node selectors...):
    # a list of sentences, recorded once when the run starts.
    warnings: Mapped[list[str] | None] = mapped_column(JsonDocument, default=None)
    # Who created the run (a user's name in multi-user mode; None before that, or for a recurring run's fire).
    created_by: Mapped[str | None] = mapped_column(String(NAME_LENGTH), default=None)
    # Its experiment's namespace, copied when the run is made (runs never change experiments), so that lists
    # filter by namespace on an index of this table alone.
    namespace: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")

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
    __tablename__ = "run_state_history"
    __table_args__ = (Index(None, "run_id", "id"), MYSQL_TABLE_OPTIONS)

    id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(IdString(), ForeignKey("runs.id", ondelete="CASCADE"))
    state: Mapped[RuntimeState] = mapped_column(StrEnumColumn(RuntimeState))
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    error: Mapped[JsonObject | None] = mapped_column(JsonDocument, default=None)


# ---------------------------------------------------------------------------------------------------------------
# Tasks
# ---------------------------------------------------------------------------------------------------------------


class Task(_RandomId, Base):
    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("run_id", "path"),
        Index(None, "parent_task_id"),
        Index(None, "cache_fingerprint", "state"),
        Index(None, "cached_from_task_id"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[str] = _id_column()
    run_id: Mapped[str] = mapped_column(IdString(), ForeignKey("runs.id", ondelete="CASCADE"))
    # The DAG, loop or condition task this one runs inside; None for the run's root DAG.
    parent_task_id: Mapped[str | None] = mapped_column(
        IdString(), ForeignKey("tasks.id", ondelete="CASCADE"), default=None
    )
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    display_name: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    # Where the task sits in the run, e.g. "root/for-loop-2/3/train": unique within the run.
    path: Mapped[str] = mapped_column(String(TASK_PATH_LENGTH))
    iteration_index: Mapped[int | None] = mapped_column(Integer, default=None)
    kind: Mapped[TaskKind] = mapped_column(StrEnumColumn(TaskKind))
    state: Mapped[RuntimeState] = mapped_column(StrEnumColumn(RuntimeState), default=RuntimeState.PENDING)
    created_at: Mapped[datetime] = _created_at_column()
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    cache_fingerprint: Mapped[str | None] = mapped_column(String(128), default=None)
    cached_from_task_id: Mapped[str | None] = mapped_column(
        IdString(), ForeignKey("tasks.id", ondelete="SET NULL"), default=None
    )
    inputs: Mapped[JsonObject | None] = mapped_column(JsonDocument, default=None)
    outputs: Mapped[JsonObject | None] = mapped_column(JsonDocument, default=None)
    error: Mapped[JsonObject | None] = mapped_column(JsonDocument, default=None)
    executor_input: Mapped[JsonObject | None] = mapped_column(JsonDocument, default=None)
    pid: Mapped[int | None] = mapped_column(Integer, default=None)
    log_uri: Mapped[str | None] = mapped_column(String(URL_LENGTH), default=None)
    # The task's kfp-kubernetes settings as applied (pod name, labels, annotations, which secrets and config
    # maps set which variables, scheduling settings recorded but unused). Never a secret's value.
    platform: Mapped[JsonObject | None] = mapped_column(JsonDocument, default=None)
    # Where the latest attempt ran, for a launcher with nodes (Ray's node id and its address); None locally.
    node_id: Mapped[str | None] = mapped_column(String(128), default=None)
    node_address: Mapped[str | None] = mapped_column(String(255), default=None)

    run: Mapped[Run] = relationship(back_populates="tasks", foreign_keys=[run_id])
    state_history: Mapped[list[TaskStateHistory]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="TaskStateHistory.id"
    )


class TaskStateHistory(Base):
    __tablename__ = "task_state_history"
    __table_args__ = (Index(None, "task_id", "id"), MYSQL_TABLE_OPTIONS)

    id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(IdString(), ForeignKey("tasks.id", ondelete="CASCADE"))
    state: Mapped[RuntimeState] = mapped_column(StrEnumColumn(RuntimeState))
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    message: Mapped[str | None] = mapped_column(LargeText, default=None)


# ---------------------------------------------------------------------------------------------------------------
# Metadata, shaped like ML Metadata (MLMD): artifacts, executions, the events linking them, and contexts.
# ---------------------------------------------------------------------------------------------------------------


class Artifact(_RandomId, Base):
    __tablename__ = "artifacts"
    __table_args__ = (
        Index(None, "uri", mysql_length={"uri": 255}),
        Index(None, "schema_title"),
        Index(None, "created_at"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[str] = _id_column()
    uri: Mapped[str] = mapped_column(String(URL_LENGTH))
    schema_title: Mapped[str] = mapped_column(String(NAME_LENGTH))
    schema_version: Mapped[str] = mapped_column(String(32), default="0.0.1")
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    display_name: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    # The artifact's own metadata (KFP `artifact.metadata`, e.g. metric values, framework).
    metadata_: Mapped[JsonObject] = mapped_column("metadata", JsonDocument, default=dict)
    state: Mapped[ArtifactState] = mapped_column(StrEnumColumn(ArtifactState), default=ArtifactState.LIVE)
    created_at: Mapped[datetime] = _created_at_column()
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class Execution(_RandomId, Base):
    __tablename__ = "executions"
    __table_args__ = (Index(None, "run_id"), Index(None, "task_id"), MYSQL_TABLE_OPTIONS)

    id: Mapped[str] = _id_column()
    run_id: Mapped[str | None] = mapped_column(
        IdString(), ForeignKey("runs.id", ondelete="CASCADE"), default=None
    )
    task_id: Mapped[str | None] = mapped_column(
        IdString(), ForeignKey("tasks.id", ondelete="CASCADE"), default=None
    )
    # MLMD execution type, e.g. "system.ContainerExecution", "system.DAGExecution", "system.ImporterExecution".
    type: Mapped[str] = mapped_column(String(NAME_LENGTH))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    state: Mapped[ExecutionState] = mapped_column(StrEnumColumn(ExecutionState), default=ExecutionState.NEW)
    properties: Mapped[JsonObject] = mapped_column(JsonDocument, default=dict)
    created_at: Mapped[datetime] = _created_at_column()
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index(None, "artifact_id", "type"),
        Index(None, "execution_id", "type"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True, autoincrement=True)
    execution_id: Mapped[str] = mapped_column(IdString(), ForeignKey("executions.id", ondelete="CASCADE"))
    artifact_id: Mapped[str] = mapped_column(IdString(), ForeignKey("artifacts.id", ondelete="CASCADE"))
    type: Mapped[EventType] = mapped_column(StrEnumColumn(EventType))
    # MLMD's event path: the input/output name, and the position within a list of artifacts.
    key: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    list_index: Mapped[int | None] = mapped_column(Integer, default=None)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Context(_RandomId, Base):
    __tablename__ = "contexts"
    __table_args__ = (UniqueConstraint("type", "name"), MYSQL_TABLE_OPTIONS)

    id: Mapped[str] = _id_column()
    # e.g. "system.PipelineRun" (name: the run id) or "system.Pipeline" (name: the pipeline name).
    type: Mapped[str] = mapped_column(String(NAME_LENGTH))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    properties: Mapped[JsonObject] = mapped_column(JsonDocument, default=dict)
    created_at: Mapped[datetime] = _created_at_column()


class Association(Base):
    """An execution belongs to a context."""

    __tablename__ = "associations"
    __table_args__ = (Index(None, "execution_id"), MYSQL_TABLE_OPTIONS)

    context_id: Mapped[str] = mapped_column(
        IdString(), ForeignKey("contexts.id", ondelete="CASCADE"), primary_key=True
    )
    execution_id: Mapped[str] = mapped_column(
        IdString(), ForeignKey("executions.id", ondelete="CASCADE"), primary_key=True
    )


class Attribution(Base):
    """An artifact belongs to a context."""

    __tablename__ = "attributions"
    __table_args__ = (Index(None, "artifact_id"), MYSQL_TABLE_OPTIONS)

    context_id: Mapped[str] = mapped_column(
        IdString(), ForeignKey("contexts.id", ondelete="CASCADE"), primary_key=True
    )
    artifact_id: Mapped[str] = mapped_column(
        IdString(), ForeignKey("artifacts.id", ondelete="CASCADE"), primary_key=True
    )


class RunMetric(Base):
    """One scalar metric a run logged, so runs can be filtered and sorted by it."""

    __tablename__ = "run_metrics"
    __table_args__ = (
        Index(None, "name", "value"),
        Index(None, "run_id", "name"),
        Index(None, "task_id"),
        Index(None, "artifact_id"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(IdString(), ForeignKey("runs.id", ondelete="CASCADE"))
    task_id: Mapped[str | None] = mapped_column(
        IdString(), ForeignKey("tasks.id", ondelete="CASCADE"), default=None
    )
    artifact_id: Mapped[str | None] = mapped_column(
        IdString(), ForeignKey("artifacts.id", ondelete="SET NULL"), default=None
    )
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    # Double: MySQL's FLOAT is single precision.
    value: Mapped[float] = mapped_column(Double)
    created_at: Mapped[datetime] = _created_at_column()


# ---------------------------------------------------------------------------------------------------------------
# Recurring runs
# ---------------------------------------------------------------------------------------------------------------


class RecurringRun(_RandomId, Base):
    __tablename__ = "recurring_runs"
    __table_args__ = (
        # The scheduler's question: which enabled recurring runs are due?
        Index(None, "mode", "next_fire_at"),
        Index(None, "next_fire_at"),
        Index(None, "experiment_id", "created_at"),
        Index(None, "created_at"),
        Index(None, "pipeline_version_id"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[str] = _id_column()
    display_name: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    description: Mapped[str] = mapped_column(LargeText, default="")
    experiment_id: Mapped[str] = mapped_column(IdString(), ForeignKey("experiments.id", ondelete="RESTRICT"))
    # Either a pipeline version (the spec is read when firing) or an inline spec.
    pipeline_version_id: Mapped[str | None] = mapped_column(
        IdString(), ForeignKey("pipeline_versions.id", ondelete="SET NULL"), default=None
    )
    # Or a pipeline without a version: each fire runs its latest version (KFP's semantics).
    latest_of_pipeline_id: Mapped[str | None] = mapped_column(
        IdString(), ForeignKey("pipelines.id", ondelete="SET NULL"), default=None
    )
    pipeline_spec: Mapped[JsonObject | None] = mapped_column(JsonDocument, default=None)
    platform_spec: Mapped[JsonObject | None] = mapped_column(JsonDocument, default=None)
    runtime_config: Mapped[JsonObject] = mapped_column(JsonDocument, default=dict)
    # {"cron": {"expression": "0 * * * *", "time_zone": "Europe/Paris"}} or {"interval_seconds": 3600}.
    trigger: Mapped[JsonObject] = mapped_column(JsonDocument)
    start_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    end_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    max_concurrency: Mapped[int] = mapped_column(Integer, default=1)
    no_catchup: Mapped[bool] = mapped_column(Boolean, default=False)
    mode: Mapped[RecurringRunMode] = mapped_column(
        StrEnumColumn(RecurringRunMode), default=RecurringRunMode.ENABLED
    )
    service_account: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    created_at: Mapped[datetime] = _created_at_column()
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
    next_fire_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    last_fired_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)


class RecurringRunFire(Base):
    """One scheduled firing; the unique key is what stops two schedulers from firing the same slot."""

    __tablename__ = "recurring_run_fires"
    __table_args__ = (
        UniqueConstraint("recurring_run_id", "scheduled_for"),
        Index(None, "run_id"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True, autoincrement=True)
    recurring_run_id: Mapped[str] = mapped_column(
        IdString(), ForeignKey("recurring_runs.id", ondelete="CASCADE")
    )
    scheduled_for: Mapped[datetime] = mapped_column(UtcDateTime())
    run_id: Mapped[str | None] = mapped_column(
        IdString(), ForeignKey("runs.id", ondelete="SET NULL"), default=None
    )
    fired_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


# ---------------------------------------------------------------------------------------------------------------
# Secrets and config maps (kfp-kubernetes' use_secret_as_env, use_config_map_as_env)
# ---------------------------------------------------------------------------------------------------------------


class Secret(_RandomId, Base):
    """A named set of secret values. ``data`` is one Fernet token (``sluice.secrets``) holding every key and
    value: the database alone reveals only the secret's name."""

    __tablename__ = "secrets"
    __table_args__ = (UniqueConstraint("namespace", "name"), MYSQL_TABLE_OPTIONS)

    id: Mapped[str] = _id_column()
    namespace: Mapped[str] = mapped_column(String(NAME_LENGTH), default="default")
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    data: Mapped[str] = mapped_column(LargeText)
    created_at: Mapped[datetime] = _created_at_column()
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class ConfigMap(_RandomId, Base):
    """A named set of plain configuration values (``{key: value}``)."""

    __tablename__ = "config_maps"
    __table_args__ = (UniqueConstraint("namespace", "name"), MYSQL_TABLE_OPTIONS)

    id: Mapped[str] = _id_column()
    namespace: Mapped[str] = mapped_column(String(NAME_LENGTH), default="default")
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    data: Mapped[JsonObject] = mapped_column(JsonDocument, default=dict)
    created_at: Mapped[datetime] = _created_at_column()
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


# Model serving: deployments, their revisions, and every action taken on them
# ---------------------------------------------------------------------------------------------------------------


class Deployment(_RandomId, Base):
    """A model behind a stable URL (``/serving/{namespace}/{name}``). Traffic names revisions by number (no
    foreign-key cycle between the two tables); ``sluice.serving`` keeps these fields consistent."""

    __tablename__ = "deployments"
    __table_args__ = (UniqueConstraint("namespace", "name"), Index(None, "created_at"), MYSQL_TABLE_OPTIONS)

    id: Mapped[str] = _id_column()
    # Not the pipelines' "" namespace: deployments are addressed by namespace in their URL.
    namespace: Mapped[str] = mapped_column(String(NAME_LENGTH), default="default")
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    description: Mapped[str] = mapped_column(LargeText, default="")
    current_revision: Mapped[int | None] = mapped_column(Integer, default=None)
    canary_revision: Mapped[int | None] = mapped_column(Integer, default=None)
    canary_percent: Mapped[int] = mapped_column(Integer, default=0)
    # Kept warm until the next promotion, so rolling back to it is instant.
    previous_revision: Mapped[int | None] = mapped_column(Integer, default=None)
    # Loading; it takes its place (current, or canary with pending_canary_percent) once ready.
    pending_revision: Mapped[int | None] = mapped_column(Integer, default=None)
    pending_canary_percent: Mapped[int | None] = mapped_column(Integer, default=None)
    next_revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = _created_at_column()
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)

    revisions: Mapped[list[DeploymentRevision]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="DeploymentRevision.number"
    )


class DeploymentRevision(_RandomId, Base):
    """One version of a deployment: a model, the predictor that serves it, and its replicas."""

    __tablename__ = "deployment_revisions"
    __table_args__ = (
        UniqueConstraint("deployment_id", "number"),
        Index(None, "run_id"),
        Index(None, "artifact_id"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[str] = _id_column()
    deployment_id: Mapped[str] = mapped_column(IdString(), ForeignKey("deployments.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    model_uri: Mapped[str] = mapped_column(String(URL_LENGTH))
    # {"runtime": "sklearn"}, or {"runtime": "python", "file": <uri>, "class_name": ...}.
    predictor: Mapped[JsonObject] = mapped_column(JsonDocument)
    replicas: Mapped[int] = mapped_column(Integer, default=1)
    # {"cpu": "500m", "memory": "1Gi", "gpus": 1}: parsed and accounted as tasks' requests are.
    resources: Mapped[JsonObject] = mapped_column(JsonDocument, default=dict)
    # Where the model came from, when it is a run's output.
    run_id: Mapped[str | None] = mapped_column(
        IdString(), ForeignKey("runs.id", ondelete="SET NULL"), default=None
    )
    task_id: Mapped[str | None] = mapped_column(
        IdString(), ForeignKey("tasks.id", ondelete="SET NULL"), default=None
    )
    output_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH), default=None)
    artifact_id: Mapped[str | None] = mapped_column(
        IdString(), ForeignKey("artifacts.id", ondelete="SET NULL"), default=None
    )
    state: Mapped[RevisionState] = mapped_column(StrEnumColumn(RevisionState), default=RevisionState.LOADING)
    error: Mapped[str | None] = mapped_column(LargeText, default=None)
    created_at: Mapped[datetime] = _created_at_column()
    ready_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)


class DeploymentAction(Base):
    """What was done to a deployment, by whom and when (create, update, promote, rollback, scale, ...)."""

    __tablename__ = "deployment_actions"
    __table_args__ = (Index(None, "deployment_id", "id"), MYSQL_TABLE_OPTIONS)

    id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True, autoincrement=True)
    deployment_id: Mapped[str] = mapped_column(IdString(), ForeignKey("deployments.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(32))
    revision: Mapped[int | None] = mapped_column(Integer, default=None)
    actor: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    detail: Mapped[JsonObject] = mapped_column(JsonDocument, default=dict)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


# ---------------------------------------------------------------------------------------------------------------
# Multi-user: users, their API tokens, namespaces with quotas, memberships, the audit log (sluice.auth)
# ---------------------------------------------------------------------------------------------------------------


class User(_RandomId, Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("name"), MYSQL_TABLE_OPTIONS)

    id: Mapped[str] = _id_column()
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = _created_at_column()


class ApiToken(_RandomId, Base):
    """A user's API token, kept only as its SHA-256 hash: the token itself is shown once, when made."""

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("token_hash"), Index(None, "user_id"), MYSQL_TABLE_OPTIONS)

    id: Mapped[str] = _id_column()
    user_id: Mapped[str] = mapped_column(IdString(), ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    created_at: Mapped[datetime] = _created_at_column()
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)


class Namespace(_RandomId, Base):
    """A team's space (Kubeflow's profile). Quotas: None is no limit."""

    __tablename__ = "namespaces"
    __table_args__ = (UniqueConstraint("name"), MYSQL_TABLE_OPTIONS)

    id: Mapped[str] = _id_column()
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    quota_gpus: Mapped[int | None] = mapped_column(Integer, default=None)
    quota_cpus: Mapped[float | None] = mapped_column(Double, default=None)
    quota_memory_bytes: Mapped[float | None] = mapped_column(Double, default=None)
    quota_running_runs: Mapped[int | None] = mapped_column(Integer, default=None)
    quota_running_tasks: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = _created_at_column()


class NamespaceMember(Base):
    __tablename__ = "namespace_members"
    __table_args__ = (
        UniqueConstraint("namespace_id", "user_id"),
        Index(None, "user_id"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True, autoincrement=True)
    namespace_id: Mapped[str] = mapped_column(IdString(), ForeignKey("namespaces.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(IdString(), ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))  # owner | edit | view


class AuditEntry(Base):
    """One write: who, what, when, from where. Never a token or a secret's value."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "namespace", "id"), Index(None, "at"), MYSQL_TABLE_OPTIONS)

    id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(NAME_LENGTH))
    action: Mapped[str] = mapped_column(String(NAME_LENGTH))
    namespace: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    target: Mapped[str] = mapped_column(String(URL_LENGTH), default="")
    source: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    status: Mapped[int] = mapped_column(Integer, default=0)


# ---------------------------------------------------------------------------------------------------------------
# Execution profiles (sluice.sandbox): which a namespace's runs may ask for
# ---------------------------------------------------------------------------------------------------------------


class NamespaceProfiles(Base):
    """A namespace's execution profiles: the one its runs get by default and those they may ask for
    (``allowed``: profile names; empty: only the default)."""

    __tablename__ = "namespace_profiles"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    namespace: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    default_profile: Mapped[str] = mapped_column(String(NAME_LENGTH))
    allowed: Mapped[list[str]] = mapped_column(JsonDocument, default=list)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
