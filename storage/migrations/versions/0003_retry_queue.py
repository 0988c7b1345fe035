"""The retry queue: article links whose fetch failed transiently, retried by later runs.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "retry_queue",
        sa.Column("url", sa.String(), primary_key=True),
        sa.Column("source_name", sa.String(), nullable=False),
        sa.Column("listed_by", sa.String(), nullable=True),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_reason", sa.String(), nullable=False),
        sa.Column("first_failed_at", TS, nullable=False),
        sa.Column("last_failed_at", TS, nullable=False),
    )
    op.create_index("ix_retry_queue_source_name", "retry_queue", ["source_name"])


def downgrade() -> None:
    op.drop_table("retry_queue")
