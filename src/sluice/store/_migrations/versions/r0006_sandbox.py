"""Execution profiles: each namespace's default profile and the profiles its runs may ask for.

Revision ID: 0006_sandbox
Revises: 0004_serving_deployments
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from sluice.store import _types as sluice_types

revision: str = "0006_sandbox"
down_revision: str | Sequence[str] | None = "0005_multi_user"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "namespace_profiles",
        sa.Column("namespace", sa.String(255), nullable=False),
        sa.Column("default_profile", sa.String(255), nullable=False),
        sa.Column("allowed", sluice_types.JsonDocument, nullable=False),
        sa.Column("updated_at", sluice_types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("namespace", name=op.f("pk_namespace_profiles")),
        mysql_engine="InnoDB",
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )


def downgrade() -> None:
    op.drop_table("namespace_profiles")
