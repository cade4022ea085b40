"""grids: X/Y/Z grids with their cells' jobs and sheets

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "grids",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("axes", sa.JSON(), nullable=False),
        sa.Column("cells", sa.JSON(), nullable=False),
        sa.Column("sheets", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sweep_category", sa.String(length=40), nullable=True),
        sa.Column("sweep_resource_id", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("grids", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grids_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_grids_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            "ix_grids_sweep", ["sweep_category", "sweep_resource_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("grids", schema=None) as batch_op:
        batch_op.drop_index("ix_grids_sweep")
        batch_op.drop_index(batch_op.f("ix_grids_created_at"))
        batch_op.drop_index(batch_op.f("ix_grids_batch_id"))
    op.drop_table("grids")
