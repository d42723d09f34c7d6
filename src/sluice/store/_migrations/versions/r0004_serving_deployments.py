"""Model serving: deployments, their revisions, and the actions taken on them.

Revision ID: 0004_serving_deployments
Revises: 0003_ray_task_node
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

from sluice.store import _types as sluice_types

revision: str = "0004_serving_deployments"
down_revision: str | Sequence[str] | None = "0003_ray_task_node"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MYSQL_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def _id(name: str = "id", *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.String(36), nullable=nullable)


def _str(name: str, length: int = 255, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.String(length), nullable=nullable)


def _int(name: str, *, nullable: bool) -> sa.Column[Any]:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def _text(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sluice_types.LargeText, nullable=nullable)


def _json(name: str, *, nullable: bool) -> sa.Column[Any]:
    return sa.Column(name, sluice_types.JsonDocument, nullable=nullable)


def _time(name: str, *, nullable: bool) -> sa.Column[Any]:
    return sa.Column(name, sluice_types.UtcDateTime(), nullable=nullable)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    referred = target.split(".", maxsplit=1)[0]
    return sa.ForeignKeyConstraint(
        [column], [target], name=op.f(f"fk_{table}_{column}_{referred}"), ondelete=ondelete
    )


def _create_table(name: str, *items: SchemaItem) -> None:
    op.create_table(name, *items, sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")), **_MYSQL_OPTIONS)


def _index(table: str, *columns: str) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns), unique=False)


def upgrade() -> None:
    _create_table(
        "deployments",
        _id(),
        _str("namespace"),
        _str("name"),
        _text("description"),
        _int("current_revision", nullable=True),
        _int("canary_revision", nullable=True),
        _int("canary_percent", nullable=False),
        _int("previous_revision", nullable=True),
        _int("pending_revision", nullable=True),
        _int("pending_canary_percent", nullable=True),
        _int("next_revision", nullable=False),
        _time("created_at", nullable=False),
        _time("updated_at", nullable=False),
        sa.UniqueConstraint("namespace", "name", name=op.f("uq_deployments_namespace_name")),
    )
    _index("deployments", "created_at")

    _create_table(
        "deployment_revisions",
        _id(),
        _id("deployment_id"),
        _int("number", nullable=False),
        _str("model_uri", 2048),
        _json("predictor", nullable=False),
        _int("replicas", nullable=False),
        _json("resources", nullable=False),
        _id("run_id", nullable=True),
        _id("task_id", nullable=True),
        _str("output_name", nullable=True),
        _id("artifact_id", nullable=True),
        _str("state", 32),
        _text("error", nullable=True),
        _time("created_at", nullable=False),
        _time("ready_at", nullable=True),
        _time("stopped_at", nullable=True),
        _fk("deployment_revisions", "deployment_id", "deployments.id", "CASCADE"),
        _fk("deployment_revisions", "run_id", "runs.id", "SET NULL"),
        _fk("deployment_revisions", "task_id", "tasks.id", "SET NULL"),
        _fk("deployment_revisions", "artifact_id", "artifacts.id", "SET NULL"),
        sa.UniqueConstraint(
            "deployment_id", "number", name=op.f("uq_deployment_revisions_deployment_id_number")
        ),
    )
    _index("deployment_revisions", "run_id")
    _index("deployment_revisions", "artifact_id")

    _create_table(
        "deployment_actions",
        sa.Column("id", sluice_types.AutoIncrementId, autoincrement=True, nullable=False),
        _id("deployment_id"),
        _str("action", 32),
        _int("revision", nullable=True),
        _str("actor"),
        _json("detail", nullable=False),
        _time("at", nullable=False),
        _fk("deployment_actions", "deployment_id", "deployments.id", "CASCADE"),
    )
    _index("deployment_actions", "deployment_id", "id")


def downgrade() -> None:
    for table in ("deployment_actions", "deployment_revisions", "deployments"):
        op.drop_table(table)
