"""alert sent order: when an alert turned ``send`` (the browsers' live stream follows it)

Alerts sent before this revision keep no order: browsers only ever ask for newer ones.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sent_seq", sa.Integer(), nullable=True))
        batch_op.create_index("ix_alerts_sent_seq", ["sent_seq"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_sent_seq")
        batch_op.drop_column("sent_seq")
