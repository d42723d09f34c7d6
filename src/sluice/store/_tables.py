"""The schema: every table, as SQLAlchemy Core ``Table`` objects on one ``MetaData``.

Defined once here; ``sluice.store.models`` maps its ORM classes over these same tables (for the service's
queries) and Alembic's migrations are compared against this ``metadata``. The engine writes and reads a run
through these tables alone, so a one-shot ``sluice run`` never imports ``sqlalchemy.orm``.

Conventions: ids are string UUIDs made by Python (``new_id``); timestamps are aware UTC datetimes with
microseconds; JSON columns hold plain dicts/lists; states are ``StrEnum`` members stored as their values.
Deleting a parent deletes its children in the database itself (``ON DELETE CASCADE``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

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
MYSQL_TABLE_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def add_mysql_options() -> None:
    """Give the tables their MySQL options (engine, charset, the ``artifacts.uri`` index prefix length).

    Added only where MySQL is used (a MySQL store, migrations): naming a dialect's options makes SQLAlchemy
    import that dialect to check them, which a one-shot run on SQLite would pay for nothing."""
    for table in metadata.tables.values():
        if table.dialect_kwargs.get("mysql_engine") is None:
            table.dialect_kwargs.update(MYSQL_TABLE_OPTIONS)
    for index in metadata.tables["artifacts"].indexes:
        if [column.name for column in index.columns] == ["uri"]:
            index.dialect_kwargs["mysql_length"] = {"uri": 255}


# ---------------------------------------------------------------------------------------------------------------
# Pipelines, experiments, runs
# ---------------------------------------------------------------------------------------------------------------

pipelines = Table(
    "pipelines",
    metadata,
    Column("id", IdString(), primary_key=True, default=new_id),
    Column("name", String(NAME_LENGTH), nullable=False),
    Column("display_name", String(NAME_LENGTH), default="", nullable=False),
    Column("description", LargeText, default="", nullable=False),
    # "" is the single-user namespace; not NULL, so (namespace, name) uniqueness holds there too.
    Column("namespace", String(NAME_LENGTH), default="", nullable=False),
    Column("created_at", UtcDateTime(), default=utcnow, nullable=False),
    UniqueConstraint("namespace", "name"),
    Index(None, "created_at"),
)

pipeline_versions = Table(
    "pipeline_versions",
    metadata,
    Column("id", IdString(), primary_key=True, default=new_id),
    Column("pipeline_id", IdString(), ForeignKey("pipelines.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(NAME_LENGTH), nullable=False),
    Column("display_name", String(NAME_LENGTH), default="", nullable=False),
    Column("description", LargeText, default="", nullable=False),
    Column("pipeline_spec", JsonDocument, nullable=False),
    Column("platform_spec", JsonDocument, default=None),
    Column("code_source_url", String(URL_LENGTH), default=None),
    Column("package_url", String(URL_LENGTH), default=None),
    Column("created_at", UtcDateTime(), default=utcnow, nullable=False),
    UniqueConstraint("pipeline_id", "name"),
    Index(None, "pipeline_id", "created_at"),
)

pipeline_tags = Table(
    "pipeline_tags",
    metadata,
    Column("id", AutoIncrementId, primary_key=True, autoincrement=True),
    Column("pipeline_id", IdString(), ForeignKey("pipelines.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(TAG_LENGTH), nullable=False),
    Column("value", String(TAG_LENGTH), nullable=False),
    UniqueConstraint("pipeline_id", "key"),
    Index(None, "key", "value"),
)

pipeline_version_tags = Table(
    "pipeline_version_tags",
    metadata,
    Column("id", AutoIncrementId, primary_key=True, autoincrement=True),
    Column(
        "pipeline_version_id",
        IdString(),
        ForeignKey("pipeline_versions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("key", String(TAG_LENGTH), nullable=False),
    Column("value", String(TAG_LENGTH), nullable=False),
    UniqueConstraint("pipeline_version_id", "key"),
    Index(None, "key", "value"),
)

experiments = Table(
    "experiments",
    metadata,
    Column("id", IdString(), primary_key=True, default=new_id),
    Column("name", String(NAME_LENGTH), nullable=False),
    Column("display_name", String(NAME_LENGTH), default="", nullable=False),
    Column("description", LargeText, default="", nullable=False),
    Column("namespace", String(NAME_LENGTH), default="", nullable=False),
    Column("storage_state", StrEnumColumn(StorageState), default=StorageState.AVAILABLE, nullable=False),
    Column("created_at", UtcDateTime(), default=utcnow, nullable=False),
    Column("last_run_created_at", UtcDateTime(), default=None),
    UniqueConstraint("namespace", "name"),
    Index(None, "created_at"),
    Index(None, "storage_state"),
)

runs = Table(
    "runs",
    metadata,
    Column("id", IdString(), primary_key=True, default=new_id),
    # RESTRICT: deleting an experiment must not silently erase its run history.
    Column("experiment_id", IdString(), ForeignKey("experiments.id", ondelete="RESTRICT"), nullable=False),
    Column("display_name", String(NAME_LENGTH), default="", nullable=False),
    Column("description", LargeText, default="", nullable=False),
    # The run keeps its own snapshot of the spec, so deleting the version only unlinks it.
    Column(
        "pipeline_version_id",
        IdString(),
        ForeignKey("pipeline_versions.id", ondelete="SET NULL"),
        default=None,
    ),
    Column("pipeline_spec", JsonDocument, nullable=False),
    Column("platform_spec", JsonDocument, default=None),
    # {"parameters": {...}, "pipeline_root": "..."} as in KFP's RuntimeConfig.
    Column("runtime_config", JsonDocument, default=dict, nullable=False),
    Column("state", StrEnumColumn(RuntimeState), default=RuntimeState.PENDING, nullable=False),
    Column("storage_state", StrEnumColumn(StorageState), default=StorageState.AVAILABLE, nullable=False),
    Column("created_at", UtcDateTime(), default=utcnow, nullable=False),
    Column("scheduled_at", UtcDateTime(), default=None),
    Column("finished_at", UtcDateTime(), default=None),
    Column("error", JsonDocument, default=None),
    Column(
        "recurring_run_id", IdString(), ForeignKey("recurring_runs.id", ondelete="SET NULL"), default=None
    ),
    Column("service_account", String(NAME_LENGTH), default="", nullable=False),
    Column("cache_enabled", Boolean, default=True, nullable=False),
    # Engine lease: which engine process drives the run, and when it last said it is alive.
    Column("lease_owner", String(NAME_LENGTH), default=None),
    Column("lease_heartbeat_at", UtcDateTime(), default=None),
    # What the run's settings ask for and this machine does not do (kfp-kubernetes node selectors...):
    # a list of sentences, recorded once when the run starts.
    Column("warnings", JsonDocument, default=None),
    # Who created the run (a user's name in multi-user mode; None before that, or for a recurring run's fire).
    Column("created_by", String(NAME_LENGTH), default=None),
    # Its experiment's namespace, copied when the run is made (runs never change experiments), so that lists
    # filter by namespace on an index of this table alone.
    Column("namespace", String(NAME_LENGTH), default="", nullable=False),
    Index(None, "experiment_id", "created_at"),
    Index(None, "created_at"),
    Index(None, "finished_at"),
    Index(None, "display_name"),
    Index(None, "storage_state", "created_at"),
    Index(None, "state", "created_at"),
    Index(None, "pipeline_version_id"),
    Index(None, "recurring_run_id"),
    Index(None, "state", "lease_heartbeat_at"),
    Index(None, "namespace", "created_at"),
    Index(None, "namespace", "state", "created_at"),
    Index(None, "namespace", "display_name"),
)

run_state_history = Table(
    "run_state_history",
    metadata,
    Column("id", AutoIncrementId, primary_key=True, autoincrement=True),
    Column("run_id", IdString(), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("state", StrEnumColumn(RuntimeState), nullable=False),
    Column("at", UtcDateTime(), default=utcnow, nullable=False),
    Column("error", JsonDocument, default=None),
    Index(None, "run_id", "id"),
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", IdString(), primary_key=True, default=new_id),
    Column("run_id", IdString(), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    # The DAG, loop or condition task this one runs inside; None for the run's root DAG.
    Column("parent_task_id", IdString(), ForeignKey("tasks.id", ondelete="CASCADE"), default=None),
    Column("name", String(NAME_LENGTH), nullable=False),
    Column("display_name", String(NAME_LENGTH), default="", nullable=False),
    # Where the task sits in the run, e.g. "root/for-loop-2/3/train": unique within the run.
    Column("path", String(TASK_PATH_LENGTH), nullable=False),
    Column("iteration_index", Integer, default=None),
    Column("kind", StrEnumColumn(TaskKind), nullable=False),
    Column("state", StrEnumColumn(RuntimeState), default=RuntimeState.PENDING, nullable=False),
    Column("created_at", UtcDateTime(), default=utcnow, nullable=False),
    Column("started_at", UtcDateTime(), default=None),
    Column("finished_at", UtcDateTime(), default=None),
    Column("attempts", Integer, default=0, nullable=False),
    Column("cache_fingerprint", String(128), default=None),
    Column("cached_from_task_id", IdString(), ForeignKey("tasks.id", ondelete="SET NULL"), default=None),
    Column("inputs", JsonDocument, default=None),
    Column("outputs", JsonDocument, default=None),
    Column("error", JsonDocument, default=None),
    Column("executor_input", JsonDocument, default=None),
    Column("pid", Integer, default=None),
    Column("log_uri", String(URL_LENGTH), default=None),
    # The task's kfp-kubernetes settings as applied (pod name, labels, annotations, which secrets and config
    # maps set which variables, scheduling settings recorded but unused). Never a secret's value.
    Column("platform", JsonDocument, default=None),
    # Where the latest attempt ran, for a launcher with nodes (Ray's node id and its address); None locally.
    Column("node_id", String(128), default=None),
    Column("node_address", String(255), default=None),
    UniqueConstraint("run_id", "path"),
    Index(None, "parent_task_id"),
    Index(None, "cache_fingerprint", "state"),
    Index(None, "cached_from_task_id"),
)

task_state_history = Table(
    "task_state_history",
    metadata,
    Column("id", AutoIncrementId, primary_key=True, autoincrement=True),
    Column("task_id", IdString(), ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    Column("state", StrEnumColumn(RuntimeState), nullable=False),
    Column("at", UtcDateTime(), default=utcnow, nullable=False),
    Column("message", LargeText, default=None),
    Index(None, "task_id", "id"),
)

artifacts = Table(
    "artifacts",
    metadata,
    Column("id", IdString(), primary_key=True, default=new_id),
    Column("uri", String(URL_LENGTH), nullable=False),
    Column("schema_title", String(NAME_LENGTH), nullable=False),
    Column("schema_version", String(32), default="0.0.1", nullable=False),
    Column("name", String(NAME_LENGTH), default="", nullable=False),
    Column("display_name", String(NAME_LENGTH), default="", nullable=False),
    # The artifact's own metadata (KFP `artifact.metadata`, e.g. metric values, framework).
    Column("metadata", JsonDocument, default=dict, nullable=False),
    Column("state", StrEnumColumn(ArtifactState), default=ArtifactState.LIVE, nullable=False),
    Column("created_at", UtcDateTime(), default=utcnow, nullable=False),
    Column("updated_at", UtcDateTime(), default=utcnow, onupdate=utcnow, nullable=False),
    Index(None, "uri"),
    Index(None, "schema_title"),
    Index(None, "created_at"),
)

executions = Table(
    "executions",
    metadata,
    Column("id", IdString(), primary_key=True, default=new_id),
    Column("run_id", IdString(), ForeignKey("runs.id", ondelete="CASCADE"), default=None),
    Column("task_id", IdString(), ForeignKey("tasks.id", ondelete="CASCADE"), default=None),
    # MLMD execution type, e.g. "system.ContainerExecution", "system.DAGExecution", "system.ImporterExecution".
    Column("type", String(NAME_LENGTH), nullable=False),
    Column("name", String(NAME_LENGTH), default="", nullable=False),
    Column("state", StrEnumColumn(ExecutionState), default=ExecutionState.NEW, nullable=False),
    Column("properties", JsonDocument, default=dict, nullable=False),
    Column("created_at", UtcDateTime(), default=utcnow, nullable=False),
    Column("updated_at", UtcDateTime(), default=utcnow, onupdate=utcnow, nullable=False),
    Index(None, "run_id"),
    Index(None, "task_id"),
)

events = Table(
    "events",
    metadata,
    Column("id", AutoIncrementId, primary_key=True, autoincrement=True),
    Column("execution_id", IdString(), ForeignKey("executions.id", ondelete="CASCADE"), nullable=False),
    Column("artifact_id", IdString(), ForeignKey("artifacts.id", ondelete="CASCADE"), nullable=False),
    Column("type", StrEnumColumn(EventType), nullable=False),
    # MLMD's event path: the input/output name, and the position within a list of artifacts.
    Column("key", String(NAME_LENGTH), default="", nullable=False),
    Column("list_index", Integer, default=None),
    Column("at", UtcDateTime(), default=utcnow, nullable=False),
    Index(None, "artifact_id", "type"),
    Index(None, "execution_id", "type"),
)

contexts = Table(
    "contexts",
    metadata,
    Column("id", IdString(), primary_key=True, default=new_id),
    # e.g. "system.PipelineRun" (name: the run id) or "system.Pipeline" (name: the pipeline name).
    Column("type", String(NAME_LENGTH), nullable=False),
    Column("name", String(NAME_LENGTH), nullable=False),
    Column("properties", JsonDocument, default=dict, nullable=False),
    Column("created_at", UtcDateTime(), default=utcnow, nullable=False),
    UniqueConstraint("type", "name"),
)

associations = Table(
    "associations",
    metadata,
    Column("context_id", IdString(), ForeignKey("contexts.id", ondelete="CASCADE"), primary_key=True),
    Column("execution_id", IdString(), ForeignKey("executions.id", ondelete="CASCADE"), primary_key=True),
    Index(None, "execution_id"),
)

attributions = Table(
    "attributions",
    metadata,
    Column("context_id", IdString(), ForeignKey("contexts.id", ondelete="CASCADE"), primary_key=True),
    Column("artifact_id", IdString(), ForeignKey("artifacts.id", ondelete="CASCADE"), primary_key=True),
    Index(None, "artifact_id"),
)

run_metrics = Table(
    "run_metrics",
    metadata,
    Column("id", AutoIncrementId, primary_key=True, autoincrement=True),
    Column("run_id", IdString(), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("task_id", IdString(), ForeignKey("tasks.id", ondelete="CASCADE"), default=None),
    Column("artifact_id", IdString(), ForeignKey("artifacts.id", ondelete="SET NULL"), default=None),
    Column("name", String(NAME_LENGTH), nullable=False),
    # Double: MySQL's FLOAT is single precision.
    Column("value", Double, nullable=False),
    Column("created_at", UtcDateTime(), default=utcnow, nullable=False),
    Index(None, "name", "value"),
    Index(None, "run_id", "name"),
    Index(None, "task_id"),
    Index(None, "artifact_id"),
)

recurring_runs = Table(
    "recurring_runs",
    metadata,
    Column("id", IdString(), primary_key=True, default=new_id),
    Column("display_name", String(NAME_LENGTH), default="", nullable=False),
    Column("description", LargeText, default="", nullable=False),
    Column("experiment_id", IdString(), ForeignKey("experiments.id", ondelete="RESTRICT"), nullable=False),
    # Either a pipeline version (the spec is read when firing) or an inline spec.
    Column(
        "pipeline_version_id",
        IdString(),
        ForeignKey("pipeline_versions.id", ondelete="SET NULL"),
        default=None,
    ),
    # Or a pipeline without a version: each fire runs its latest version (KFP's semantics).
    Column(
        "latest_of_pipeline_id", IdString(), ForeignKey("pipelines.id", ondelete="SET NULL"), default=None
    ),
    Column("pipeline_spec", JsonDocument, default=None),
    Column("platform_spec", JsonDocument, default=None),
    Column("runtime_config", JsonDocument, default=dict, nullable=False),
    # {"cron": {"expression": "0 * * * *", "time_zone": "Europe/Paris"}} or {"interval_seconds": 3600}.
    Column("trigger", JsonDocument, nullable=False),
    Column("start_at", UtcDateTime(), default=None),
    Column("end_at", UtcDateTime(), default=None),
    Column("max_concurrency", Integer, default=1, nullable=False),
    Column("no_catchup", Boolean, default=False, nullable=False),
    Column("mode", StrEnumColumn(RecurringRunMode), default=RecurringRunMode.ENABLED, nullable=False),
    Column("service_account", String(NAME_LENGTH), default="", nullable=False),
    Column("created_at", UtcDateTime(), default=utcnow, nullable=False),
    Column("updated_at", UtcDateTime(), default=utcnow, onupdate=utcnow, nullable=False),
    Column("next_fire_at", UtcDateTime(), default=None),
    Column("last_fired_at", UtcDateTime(), default=None),
    Index(None, "mode", "next_fire_at"),
    Index(None, "next_fire_at"),
    Index(None, "experiment_id", "created_at"),
    Index(None, "created_at"),
    Index(None, "pipeline_version_id"),
)

recurring_run_fires = Table(
    "recurring_run_fires",
    metadata,
    Column("id", AutoIncrementId, primary_key=True, autoincrement=True),
    Column(
        "recurring_run_id", IdString(), ForeignKey("recurring_runs.id", ondelete="CASCADE"), nullable=False
    ),
    Column("scheduled_for", UtcDateTime(), nullable=False),
    Column("run_id", IdString(), ForeignKey("runs.id", ondelete="SET NULL"), default=None),
    Column("fired_at", UtcDateTime(), default=utcnow, nullable=False),
    UniqueConstraint("recurring_run_id", "scheduled_for"),
    Index(None, "run_id"),
)

secrets = Table(
    "secrets",
    metadata,
    Column("id", IdString(), primary_key=True, default=new_id),
    Column("namespace", String(NAME_LENGTH), default="default", nullable=False),
    Column("name", String(NAME_LENGTH), nullable=False),
    Column("data", LargeText, nullable=False),
    Column("created_at", UtcDateTime(), default=utcnow, nullable=False),
    Column("updated_at", UtcDateTime(), default=utcnow, onupdate=utcnow, nullable=False),
    UniqueConstraint("namespace", "name"),
)

config_maps = Table(
    "config_maps",
    metadata,
    Column("id", IdString(), primary_key=True, default=new_id),
    Column("namespace", String(NAME_LENGTH), default="default", nullable=False),
    Column("name", String(NAME_LENGTH), nullable=False),
    Column("data", JsonDocument, default=dict, nullable=False),
    Column("created_at", UtcDateTime(), default=utcnow, nullable=False),
    Column("updated_at", UtcDateTime(), default=utcnow, onupdate=utcnow, nullable=False),
    UniqueConstraint("namespace", "name"),
)

deployments = Table(
    "deployments",
    metadata,
    Column("id", IdString(), primary_key=True, default=new_id),
    # Not the pipelines' "" namespace: deployments are addressed by namespace in their URL.
    Column("namespace", String(NAME_LENGTH), default="default", nullable=False),
    Column("name", String(NAME_LENGTH), nullable=False),
    Column("description", LargeText, default="", nullable=False),
    Column("current_revision", Integer, default=None),
    Column("canary_revision", Integer, default=None),
    Column("canary_percent", Integer, default=0, nullable=False),
    # Kept warm until the next promotion, so rolling back to it is instant.
    Column("previous_revision", Integer, default=None),
    # Loading; it takes its place (current, or canary with pending_canary_percent) once ready.
    Column("pending_revision", Integer, default=None),
    Column("pending_canary_percent", Integer, default=None),
    Column("next_revision", Integer, default=1, nullable=False),
    Column("created_at", UtcDateTime(), default=utcnow, nullable=False),
    Column("updated_at", UtcDateTime(), default=utcnow, onupdate=utcnow, nullable=False),
    UniqueConstraint("namespace", "name"),
    Index(None, "created_at"),
)

deployment_revisions = Table(
    "deployment_revisions",
    metadata,
    Column("id", IdString(), primary_key=True, default=new_id),
    Column("deployment_id", IdString(), ForeignKey("deployments.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("model_uri", String(URL_LENGTH), nullable=False),
    # {"runtime": "sklearn"}, or {"runtime": "python", "file": <uri>, "class_name": ...}.
    Column("predictor", JsonDocument, nullable=False),
    Column("replicas", Integer, default=1, nullable=False),
    # {"cpu": "500m", "memory": "1Gi", "gpus": 1}: parsed and accounted as tasks' requests are.
    Column("resources", JsonDocument, default=dict, nullable=False),
    # Where the model came from, when it is a run's output.
    Column("run_id", IdString(), ForeignKey("runs.id", ondelete="SET NULL"), default=None),
    Column("task_id", IdString(), ForeignKey("tasks.id", ondelete="SET NULL"), default=None),
    Column("output_name", String(NAME_LENGTH), default=None),
    Column("artifact_id", IdString(), ForeignKey("artifacts.id", ondelete="SET NULL"), default=None),
    Column("state", StrEnumColumn(RevisionState), default=RevisionState.LOADING, nullable=False),
    Column("error", LargeText, default=None),
    Column("created_at", UtcDateTime(), default=utcnow, nullable=False),
    Column("ready_at", UtcDateTime(), default=None),
    Column("stopped_at", UtcDateTime(), default=None),
    UniqueConstraint("deployment_id", "number"),
    Index(None, "run_id"),
    Index(None, "artifact_id"),
)

deployment_actions = Table(
    "deployment_actions",
    metadata,
    Column("id", AutoIncrementId, primary_key=True, autoincrement=True),
    Column("deployment_id", IdString(), ForeignKey("deployments.id", ondelete="CASCADE"), nullable=False),
    Column("action", String(32), nullable=False),
    Column("revision", Integer, default=None),
    Column("actor", String(NAME_LENGTH), default="", nullable=False),
    Column("detail", JsonDocument, default=dict, nullable=False),
    Column("at", UtcDateTime(), default=utcnow, nullable=False),
    Index(None, "deployment_id", "id"),
)

users = Table(
    "users",
    metadata,
    Column("id", IdString(), primary_key=True, default=new_id),
    Column("name", String(NAME_LENGTH), nullable=False),
    Column("is_admin", Boolean, default=False, nullable=False),
    Column("disabled", Boolean, default=False, nullable=False),
    Column("created_at", UtcDateTime(), default=utcnow, nullable=False),
    UniqueConstraint("name"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", IdString(), primary_key=True, default=new_id),
    Column("user_id", IdString(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("description", String(NAME_LENGTH), default="", nullable=False),
    Column("created_at", UtcDateTime(), default=utcnow, nullable=False),
    Column("expires_at", UtcDateTime(), default=None),
    Column("revoked_at", UtcDateTime(), default=None),
    UniqueConstraint("token_hash"),
    Index(None, "user_id"),
)

namespaces = Table(
    "namespaces",
    metadata,
    Column("id", IdString(), primary_key=True, default=new_id),
    Column("name", String(NAME_LENGTH), nullable=False),
    Column("quota_gpus", Integer, default=None),
    Column("quota_cpus", Double, default=None),
    Column("quota_memory_bytes", Double, default=None),
    Column("quota_running_runs", Integer, default=None),
    Column("quota_running_tasks", Integer, default=None),
    Column("created_at", UtcDateTime(), default=utcnow, nullable=False),
    UniqueConstraint("name"),
)

namespace_members = Table(
    "namespace_members",
    metadata,
    Column("id", AutoIncrementId, primary_key=True, autoincrement=True),
    Column("namespace_id", IdString(), ForeignKey("namespaces.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", IdString(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("role", String(16), nullable=False),
    UniqueConstraint("namespace_id", "user_id"),
    Index(None, "user_id"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", AutoIncrementId, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime(), default=utcnow, nullable=False),
    Column("actor", String(NAME_LENGTH), nullable=False),
    Column("action", String(NAME_LENGTH), nullable=False),
    Column("namespace", String(NAME_LENGTH), default="", nullable=False),
    Column("target", String(URL_LENGTH), default="", nullable=False),
    Column("source", String(NAME_LENGTH), default="", nullable=False),
    Column("status", Integer, default=0, nullable=False),
    Index(None, "namespace", "id"),
    Index(None, "at"),
)

namespace_profiles = Table(
    "namespace_profiles",
    metadata,
    Column("namespace", String(NAME_LENGTH), primary_key=True),
    Column("default_profile", String(NAME_LENGTH), nullable=False),
    Column("allowed", JsonDocument, default=list, nullable=False),
    Column("updated_at", UtcDateTime(), default=utcnow, onupdate=utcnow, nullable=False),
)
