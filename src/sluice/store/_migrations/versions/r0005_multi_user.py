"""Multi-user: users, API tokens (hashes only), namespaces with quotas, memberships, the audit log; who
created each run, and its namespace (its experiment's, copied for indexed lists).

Revision ID: 0005_multi_user
Revises: 0004_serving_deployments
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

from sluice.store import _types as sluice_types

revision: str = "0005_multi_user"
down_revision: str | Sequence[str] | None = "0004_serving_deployments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MYSQL_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def _id(name: str = "id") -> sa.Column[Any]:
    return sa.Column(name, sa.String(36), nullable=False)


def _serial() -> sa.Column[Any]:
    return sa.Column("id", sluice_types.AutoIncrementId, autoincrement=True, nullable=False)


def _str(name: str, length: int = 255) -> sa.Column[Any]:
    return sa.Column(name, sa.String(length), nullable=False)


def _time(name: str, *, nullable: bool) -> sa.Column[Any]:
    return sa.Column(name, sluice_types.UtcDateTime(), nullable=nullable)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    referred = target.split(".", maxsplit=1)[0]
    return sa.ForeignKeyConstraint(
        [column], [target], name=op.f(f"fk_{table}_{column}_{referred}"), ondelete="CASCADE"
    )


def _unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def _create_table(name: str, *items: SchemaItem) -> None:
    op.create_table(name, *items, sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")), **_MYSQL_OPTIONS)


def _index(table: str, *columns: str) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns), unique=False)


def upgrade() -> None:
    _create_table(
        "users",
        _id(),
        _str("name"),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        _time("created_at", nullable=False),
        _unique("users", "name"),
    )
    _create_table(
        "api_tokens",
        _id(),
        _id("user_id"),
        _str("token_hash", 64),
        _str("description"),
        _time("created_at", nullable=False),
        _time("expires_at", nullable=True),
        _time("revoked_at", nullable=True),
        _fk("api_tokens", "user_id", "users.id"),
        _unique("api_tokens", "token_hash"),
    )
    _index("api_tokens", "user_id")
    _create_table(
        "namespaces",
        _id(),
        _str("name"),
        sa.Column("quota_gpus", sa.Integer(), nullable=True),
        sa.Column("quota_cpus", sa.Double(), nullable=True),
        sa.Column("quota_memory_bytes", sa.Double(), nullable=True),
        sa.Column("quota_running_runs", sa.Integer(), nullable=True),
        sa.Column("quota_running_tasks", sa.Integer(), nullable=True),
        _time("created_at", nullable=False),
        _unique("namespaces", "name"),
    )
    _create_table(
        "namespace_members",
        _serial(),
        _id("namespace_id"),
        _id("user_id"),
        _str("role", 16),
        _fk("namespace_members", "namespace_id", "namespaces.id"),
        _fk("namespace_members", "user_id", "users.id"),
        _unique("namespace_members", "namespace_id", "user_id"),
    )
    _index("namespace_members", "user_id")
    _create_table(
        "audit_log",
        _serial(),
        _time("at", nullable=False),
        _str("actor"),
        _str("action"),
        _str("namespace"),
        _str("target", 2048),
        _str("source"),
        sa.Column("status", sa.Integer(), nullable=False),
    )
    _index("audit_log", "namespace", "id")
    _index("audit_log", "at")
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("created_by", sa.String(255), nullable=True))
        batch.add_column(sa.Column("namespace", sa.String(255), nullable=False, server_default=""))
    # Runs made before: their experiment's namespace.
    op.execute(
        "UPDATE runs SET namespace = COALESCE("
        "(SELECT experiments.namespace FROM experiments WHERE experiments.id = runs.experiment_id), '')"
    )
    with op.batch_alter_table("runs") as batch:
        batch.alter_column(
            "namespace", server_default=None, existing_type=sa.String(255), existing_nullable=False
        )
    _index("runs", "namespace", "created_at")
    _index("runs", "namespace", "state", "created_at")
    _index("runs", "namespace", "display_name")


def downgrade() -> None:
    op.drop_index(op.f("ix_runs_namespace_display_name"), table_name="runs")
    op.drop_index(op.f("ix_runs_namespace_state_created_at"), table_name="runs")
    op.drop_index(op.f("ix_runs_namespace_created_at"), table_name="runs")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("namespace")
        batch.drop_column("created_by")
    for table in ("audit_log", "namespace_members", "namespaces", "api_tokens", "users"):
        op.drop_table(table)
