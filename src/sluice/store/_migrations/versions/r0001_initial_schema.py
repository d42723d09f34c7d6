"""Create the Sluice schema: pipelines, experiments, runs, tasks, metadata, metrics, recurring runs.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

from sluice.store import _types as sluice_types

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MYSQL_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def _id(name: str = "id", **kwargs: Any) -> sa.Column[Any]:
    return sa.Column(name, sa.String(36), **kwargs)


def _str(name: str, length: int = 255, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.String(length), nullable=nullable)


def _text(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sluice_types.LargeText, nullable=nullable)


def _json(name: str, *, nullable: bool) -> sa.Column[Any]:
    return sa.Column(name, sluice_types.JsonDocument, nullable=nullable)


def _time(name: str, *, nullable: bool) -> sa.Column[Any]:
    return sa.Column(name, sluice_types.UtcDateTime(), nullable=nullable)


def _serial() -> sa.Column[Any]:
    return sa.Column("id", sluice_types.AutoIncrementId, autoincrement=True, nullable=False)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    referred = target.split(".", maxsplit=1)[0]
    return sa.ForeignKeyConstraint(
        [column], [target], name=op.f(f"fk_{table}_{column}_{referred}"), ondelete=ondelete
    )


def _create_table(name: str, *items: SchemaItem, primary_key: Sequence[str] = ("id",)) -> None:
    op.create_table(
        name, *items, sa.PrimaryKeyConstraint(*primary_key, name=op.f(f"pk_{name}")), **_MYSQL_OPTIONS
    )


def _unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def _index(table: str, *columns: str, **kwargs: Any) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns), unique=False, **kwargs)


def upgrade() -> None:
    _create_pipelines_and_experiments()
    _create_runs_and_tasks()
    _create_metadata()
    _create_run_metrics()
    _insert_default_experiment()


def _create_pipelines_and_experiments() -> None:
    _create_table(
        "pipelines",
        _id(nullable=False),
        _str("name"),
        _str("display_name"),
        _text("description"),
        _str("namespace"),
        _time("created_at", nullable=False),
        _unique("pipelines", "namespace", "name"),
    )
    _index("pipelines", "created_at")

    _create_table(
        "pipeline_versions",
        _id(nullable=False),
        _id("pipeline_id", nullable=False),
        _str("name"),
        _str("display_name"),
        _text("description"),
        _json("pipeline_spec", nullable=False),
        _json("platform_spec", nullable=True),
        _str("code_source_url", 2048, nullable=True),
        _str("package_url", 2048, nullable=True),
        _time("created_at", nullable=False),
        _fk("pipeline_versions", "pipeline_id", "pipelines.id", "CASCADE"),
        _unique("pipeline_versions", "pipeline_id", "name"),
    )
    _index("pipeline_versions", "pipeline_id", "created_at")

    _create_table(
        "experiments",
        _id(nullable=False),
        _str("name"),
        _str("display_name"),
        _text("description"),
        _str("namespace"),
        _str("storage_state", 32),
        _time("created_at", nullable=False),
        _time("last_run_created_at", nullable=True),
        _unique("experiments", "namespace", "name"),
    )
    _index("experiments", "created_at")
    _index("experiments", "storage_state")


def _create_runs_and_tasks() -> None:
    _create_table(
        "recurring_runs",
        _id(nullable=False),
        _str("display_name"),
        _text("description"),
        _id("experiment_id", nullable=False),
        _id("pipeline_version_id", nullable=True),
        _json("pipeline_spec", nullable=True),
        _json("platform_spec", nullable=True),
        _json("runtime_config", nullable=False),
        _json("trigger", nullable=False),
        _time("start_at", nullable=True),
        _time("end_at", nullable=True),
        sa.Column("max_concurrency", sa.Integer(), nullable=False),
        sa.Column("no_catchup", sa.Boolean(), nullable=False),
        _str("mode", 32),
        _str("service_account"),
        _time("created_at", nullable=False),
        _time("updated_at", nullable=False),
        _time("next_fire_at", nullable=True),
        _time("last_fired_at", nullable=True),
        _fk("recurring_runs", "experiment_id", "experiments.id", "RESTRICT"),
        _fk("recurring_runs", "pipeline_version_id", "pipeline_versions.id", "SET NULL"),
    )
    _index("recurring_runs", "created_at")
    _index("recurring_runs", "experiment_id", "created_at")
    _index("recurring_runs", "mode", "next_fire_at")
    _index("recurring_runs", "next_fire_at")
    _index("recurring_runs", "pipeline_version_id")

    _create_table(
        "runs",
        _id(nullable=False),
        _id("experiment_id", nullable=False),
        _str("display_name"),
        _text("description"),
        _id("pipeline_version_id", nullable=True),
        _json("pipeline_spec", nullable=False),
        _json("platform_spec", nullable=True),
        _json("runtime_config", nullable=False),
        _str("state", 32),
        _str("storage_state", 32),
        _time("created_at", nullable=False),
        _time("scheduled_at", nullable=True),
        _time("finished_at", nullable=True),
        _json("error", nullable=True),
        _id("recurring_run_id", nullable=True),
        _str("service_account"),
        sa.Column("cache_enabled", sa.Boolean(), nullable=False),
        _str("lease_owner", nullable=True),
        _time("lease_heartbeat_at", nullable=True),
        _fk("runs", "experiment_id", "experiments.id", "RESTRICT"),
        _fk("runs", "pipeline_version_id", "pipeline_versions.id", "SET NULL"),
        _fk("runs", "recurring_run_id", "recurring_runs.id", "SET NULL"),
    )
    _index("runs", "created_at")
    _index("runs", "display_name")
    _index("runs", "experiment_id", "created_at")
    _index("runs", "finished_at")
    _index("runs", "pipeline_version_id")
    _index("runs", "recurring_run_id")
    _index("runs", "state", "lease_heartbeat_at")
    _index("runs", "storage_state", "created_at")
    _index("runs", "state", "created_at")

    _create_table(
        "recurring_run_fires",
        _serial(),
        _id("recurring_run_id", nullable=False),
        _time("scheduled_for", nullable=False),
        _id("run_id", nullable=True),
        _time("fired_at", nullable=False),
        _fk("recurring_run_fires", "recurring_run_id", "recurring_runs.id", "CASCADE"),
        _fk("recurring_run_fires", "run_id", "runs.id", "SET NULL"),
        _unique("recurring_run_fires", "recurring_run_id", "scheduled_for"),
    )
    _index("recurring_run_fires", "run_id")

    _create_table(
        "run_state_history",
        _serial(),
        _id("run_id", nullable=False),
        _str("state", 32),
        _time("at", nullable=False),
        _json("error", nullable=True),
        _fk("run_state_history", "run_id", "runs.id", "CASCADE"),
    )
    _index("run_state_history", "run_id", "id")

    _create_table(
        "tasks",
        _id(nullable=False),
        _id("run_id", nullable=False),
        _id("parent_task_id", nullable=True),
        _str("name"),
        _str("display_name"),
        _str("path", 700),
        sa.Column("iteration_index", sa.Integer(), nullable=True),
        _str("kind", 32),
        _str("state", 32),
        _time("created_at", nullable=False),
        _time("started_at", nullable=True),
        _time("finished_at", nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _str("cache_fingerprint", 128, nullable=True),
        _id("cached_from_task_id", nullable=True),
        _json("inputs", nullable=True),
        _json("outputs", nullable=True),
        _json("error", nullable=True),
        _json("executor_input", nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        _str("log_uri", 2048, nullable=True),
        _fk("tasks", "run_id", "runs.id", "CASCADE"),
        _fk("tasks", "parent_task_id", "tasks.id", "CASCADE"),
        _fk("tasks", "cached_from_task_id", "tasks.id", "SET NULL"),
        _unique("tasks", "run_id", "path"),
    )
    _index("tasks", "cache_fingerprint", "state")
    _index("tasks", "cached_from_task_id")
    _index("tasks", "parent_task_id")

    _create_table(
        "task_state_history",
        _serial(),
        _id("task_id", nullable=False),
        _str("state", 32),
        _time("at", nullable=False),
        _text("message", nullable=True),
        _fk("task_state_history", "task_id", "tasks.id", "CASCADE"),
    )
    _index("task_state_history", "task_id", "id")


def _create_metadata() -> None:
    _create_table(
        "artifacts",
        _id(nullable=False),
        _str("uri", 2048),
        _str("schema_title"),
        _str("schema_version", 32),
        _str("name"),
        _str("display_name"),
        _json("metadata", nullable=False),
        _str("state", 32),
        _time("created_at", nullable=False),
        _time("updated_at", nullable=False),
    )
    _index("artifacts", "created_at")
    _index("artifacts", "schema_title")
    # MySQL indexes at most 3072 bytes of a key: index the first 255 characters of long URIs.
    _index("artifacts", "uri", mysql_length={"uri": 255})

    _create_table(
        "executions",
        _id(nullable=False),
        _id("run_id", nullable=True),
        _id("task_id", nullable=True),
        _str("type"),
        _str("name"),
        _str("state", 32),
        _json("properties", nullable=False),
        _time("created_at", nullable=False),
        _time("updated_at", nullable=False),
        _fk("executions", "run_id", "runs.id", "CASCADE"),
        _fk("executions", "task_id", "tasks.id", "CASCADE"),
    )
    _index("executions", "run_id")
    _index("executions", "task_id")

    _create_table(
        "events",
        _serial(),
        _id("execution_id", nullable=False),
        _id("artifact_id", nullable=False),
        _str("type", 32),
        _str("key"),
        sa.Column("list_index", sa.Integer(), nullable=True),
        _time("at", nullable=False),
        _fk("events", "artifact_id", "artifacts.id", "CASCADE"),
        _fk("events", "execution_id", "executions.id", "CASCADE"),
    )
    _index("events", "artifact_id", "type")
    _index("events", "execution_id", "type")

    _create_table(
        "contexts",
        _id(nullable=False),
        _str("type"),
        _str("name"),
        _json("properties", nullable=False),
        _time("created_at", nullable=False),
        _unique("contexts", "type", "name"),
    )

    _create_table(
        "associations",
        _id("context_id", nullable=False),
        _id("execution_id", nullable=False),
        _fk("associations", "context_id", "contexts.id", "CASCADE"),
        _fk("associations", "execution_id", "executions.id", "CASCADE"),
        primary_key=("context_id", "execution_id"),
    )
    _index("associations", "execution_id")

    _create_table(
        "attributions",
        _id("context_id", nullable=False),
        _id("artifact_id", nullable=False),
        _fk("attributions", "artifact_id", "artifacts.id", "CASCADE"),
        _fk("attributions", "context_id", "contexts.id", "CASCADE"),
        primary_key=("context_id", "artifact_id"),
    )
    _index("attributions", "artifact_id")


def _create_run_metrics() -> None:
    _create_table(
        "run_metrics",
        _serial(),
        _id("run_id", nullable=False),
        _id("task_id", nullable=True),
        _id("artifact_id", nullable=True),
        _str("name"),
        sa.Column("value", sa.Double(), nullable=False),
        _time("created_at", nullable=False),
        _fk("run_metrics", "artifact_id", "artifacts.id", "SET NULL"),
        _fk("run_metrics", "run_id", "runs.id", "CASCADE"),
        _fk("run_metrics", "task_id", "tasks.id", "CASCADE"),
    )
    _index("run_metrics", "artifact_id")
    _index("run_metrics", "name", "value")
    _index("run_metrics", "run_id", "name")
    _index("run_metrics", "task_id")


def _insert_default_experiment() -> None:
    # KFP puts runs created without an experiment into "Default" (single-user namespace "").
    experiments = sa.table(
        "experiments",
        sa.column("id", sa.String()),
        sa.column("name", sa.String()),
        sa.column("display_name", sa.String()),
        sa.column("description", sa.Text()),
        sa.column("namespace", sa.String()),
        sa.column("storage_state", sa.String()),
        sa.column("created_at", sluice_types.UtcDateTime()),
    )
    op.bulk_insert(
        experiments,
        [
            {
                "id": str(uuid.uuid4()),
                "name": "Default",
                "display_name": "Default",
                "description": "All runs created without specifying an experiment are grouped here.",
                "namespace": "",
                "storage_state": "AVAILABLE",
                "created_at": datetime.now(UTC),
            }
        ],
    )


def downgrade() -> None:
    # Children before parents, so foreign keys never dangle.
    for table in (
        "run_metrics",
        "attributions",
        "associations",
        "contexts",
        "events",
        "executions",
        "artifacts",
        "task_state_history",
        "tasks",
        "run_state_history",
        "recurring_run_fires",
        "runs",
        "recurring_runs",
        "experiments",
        "pipeline_versions",
        "pipelines",
    ):
        op.drop_table(table)
