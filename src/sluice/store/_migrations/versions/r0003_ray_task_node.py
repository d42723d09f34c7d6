"""Tasks record where their latest attempt ran: the launcher's node id and address (Ray's; NULL locally).

Revision ID: 0003_ray_task_node
Revises: 0002_k8s_secrets
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_ray_task_node"
down_revision: str | Sequence[str] | None = "0002_k8s_secrets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("node_id", sa.String(128), nullable=True))
        batch.add_column(sa.Column("node_address", sa.String(255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("node_address")
        batch.drop_column("node_id")
