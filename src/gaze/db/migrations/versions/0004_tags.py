"""tags: the autocomplete tag vocabulary and its aliases

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


PREFIX_KEY = sa.String(length=300).with_variant(sa.String(length=300, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "tags",
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("key", PREFIX_KEY, nullable=False),
        sa.Column("head1", PREFIX_KEY, nullable=False),
        sa.Column("head2", PREFIX_KEY, nullable=False),
        sa.Column("category", sa.Integer(), nullable=False),
        sa.Column("post_count", sa.Integer(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_index("ix_tags_key", "tags", ["key"], unique=False)
    op.create_index("ix_tags_head1_post_count", "tags", ["head1", "post_count"], unique=False)
    op.create_index("ix_tags_head2_post_count", "tags", ["head2", "post_count"], unique=False)
    op.create_index("ix_tags_post_count", "tags", ["post_count"], unique=False)
    op.create_table(
        "tag_aliases",
        sa.Column("alias", sa.String(length=300), nullable=False),
        sa.Column("key", PREFIX_KEY, nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("alias"),
    )
    op.create_index("ix_tag_aliases_key", "tag_aliases", ["key"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_tag_aliases_key", table_name="tag_aliases")
    op.drop_table("tag_aliases")
    op.drop_index("ix_tags_post_count", table_name="tags")
    op.drop_index("ix_tags_head2_post_count", table_name="tags")
    op.drop_index("ix_tags_head1_post_count", table_name="tags")
    op.drop_index("ix_tags_key", table_name="tags")
    op.drop_table("tags")
