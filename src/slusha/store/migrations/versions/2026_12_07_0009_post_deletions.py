"""post deletions: deletions remembered for a day, for posts stored after their deletion

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "post_deletions",
        sa.Column("network", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=512), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("network", "external_id"),
    )
    op.create_index("ix_post_deletions_deleted_at", "post_deletions", ["deleted_at"])


def downgrade() -> None:
    op.drop_index("ix_post_deletions_deleted_at", table_name="post_deletions")
    op.drop_table("post_deletions")
