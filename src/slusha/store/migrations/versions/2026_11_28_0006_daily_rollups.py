"""daily mention rollups: dashboards read days, not hours, so long ranges stay fast

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

DIMENSIONS = ("network", "lang", "sentiment")
# Midnight UTC of each hourly bucket, in each backend's own terms.
DAY_OF_HOUR = {
    "sqlite": "substr(hour, 1, 10) || ' 00:00:00.000000'",
    "postgresql": "date_trunc('day', hour, 'UTC')",
}


def upgrade() -> None:
    op.create_table(
        "mention_rollups_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=10), nullable=False),
        sa.Column("day", sa.DateTime(timezone=True), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=20), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_mention_rollups_daily_team_id_teams")
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["topics.id"],
            name=op.f("fk_mention_rollups_daily_topic_id_topics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mention_rollups_daily")),
        sa.UniqueConstraint(
            "dimension",
            "day",
            "topic_id",
            "team_id",
            "value",
            name=op.f("uq_mention_rollups_daily_dimension_day_topic_id_team_id_value"),
        ),
    )
    with op.batch_alter_table("mention_rollups_daily", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mention_rollups_daily_team_dimension_day",
            ["team_id", "dimension", "day"],
            unique=False,
        )
    # Existing hourly counts become daily ones, so dashboards keep their history.
    day = DAY_OF_HOUR[op.get_bind().dialect.name]
    for dimension in DIMENSIONS:
        op.execute(
            "INSERT INTO mention_rollups_daily (dimension, day, topic_id, team_id, value, count) "
            f"SELECT '{dimension}', {day}, topic_id, team_id, {dimension}, sum(count) "
            f"FROM mention_rollups GROUP BY {day}, topic_id, team_id, {dimension}"
        )


def downgrade() -> None:
    with op.batch_alter_table("mention_rollups_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_mention_rollups_daily_team_dimension_day")
    op.drop_table("mention_rollups_daily")
