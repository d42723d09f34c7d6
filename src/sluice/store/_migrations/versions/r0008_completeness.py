"""Pipeline and pipeline version tags (UpdatePipeline/UpdatePipelineVersion set them; lists filter on them),
and recurring runs that follow a pipeline's latest version.

Revision ID: 0008_completeness
Revises: 0004_serving_deployments
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from sluice.store import _types as sluice_types

revision: str = "0008_completeness"
down_revision: str | Sequence[str] | None = "0006_sandbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MYSQL_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def _tag_table(table: str, owner_column: str, owner_table: str) -> None:
    op.create_table(
        table,
        sa.Column("id", sluice_types.AutoIncrementId, autoincrement=True, nullable=False),
        sa.Column(owner_column, sa.String(36), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("value", sa.String(255), nullable=False),
        sa.ForeignKeyConstraint(
            [owner_column],
            [f"{owner_table}.id"],
            name=op.f(f"fk_{table}_{owner_column}_{owner_table}"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint(owner_column, "key", name=op.f(f"uq_{table}_{owner_column}_key")),
        **_MYSQL_OPTIONS,
    )
    op.create_index(op.f(f"ix_{table}_key_value"), table, ["key", "value"], unique=False)


def upgrade() -> None:
    _tag_table("pipeline_tags", "pipeline_id", "pipelines")
    _tag_table("pipeline_version_tags", "pipeline_version_id", "pipeline_versions")
    # Recurring runs of a pipeline without a version run its latest version at each fire.
    with op.batch_alter_table("recurring_runs") as batch:
        batch.add_column(sa.Column("latest_of_pipeline_id", sa.String(36), nullable=True))
        batch.create_foreign_key(
            op.f("fk_recurring_runs_latest_of_pipeline_id_pipelines"),
            "pipelines",
            ["latest_of_pipeline_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("recurring_runs") as batch:
        batch.drop_constraint(op.f("fk_recurring_runs_latest_of_pipeline_id_pipelines"), type_="foreignkey")
        batch.drop_column("latest_of_pipeline_id")
    op.drop_table("pipeline_version_tags")
    op.drop_table("pipeline_tags")
