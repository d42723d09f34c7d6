"""Secrets and config maps (kfp-kubernetes' use_secret_as_env, use_config_map_as_env); a task's applied
platform settings (``tasks.platform``); a run's warnings about settings this machine does not use.

Revision ID: 0002_k8s_secrets
Revises: 0001
Create Date: 2026-02-01
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from sluice.store import _types as sluice_types

revision: str = "0002_k8s_secrets"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MYSQL_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def _named_values_table(name: str, data: sa.Column[Any]) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("namespace", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        data,
        sa.Column("created_at", sluice_types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", sluice_types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("namespace", "name", name=op.f(f"uq_{name}_namespace_name")),
        **_MYSQL_OPTIONS,
    )


def upgrade() -> None:
    _named_values_table("secrets", sa.Column("data", sluice_types.LargeText, nullable=False))
    _named_values_table("config_maps", sa.Column("data", sluice_types.JsonDocument, nullable=False))
    with op.batch_alter_table("tasks") as tasks:
        tasks.add_column(sa.Column("platform", sluice_types.JsonDocument, nullable=True))
    with op.batch_alter_table("runs") as runs:
        runs.add_column(sa.Column("warnings", sluice_types.JsonDocument, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as runs:
        runs.drop_column("warnings")
    with op.batch_alter_table("tasks") as tasks:
        tasks.drop_column("platform")
    op.drop_table("config_maps")
    op.drop_table("secrets")
