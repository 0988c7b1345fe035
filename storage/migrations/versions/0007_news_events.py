"""News events below the development: events (the reports of one happening of a claim: a first
and a second death of one development are two) and mentions.event_id; existing mentions are
put into events in the order they were stored, by the same rule new ones follow
(``storage.events``). Views: claim_timeline gains event_id; development_events is new.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from storage.events import assign_missing_events
from storage.models import UTCDateTime
from storage.views import VIEWS, views_created_by

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for name in views_created_by("0005_honest_dates.py"):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("claim_id", sa.Integer(), sa.ForeignKey("claims.id"), nullable=False),
        sa.Column("occurrence", sa.Integer(), nullable=False),
        sa.Column("first_reported", sa.Date(), nullable=True),
        sa.Column("last_reported", sa.Date(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_events_claim_id", "events", ["claim_id"])
    with op.batch_alter_table("mentions") as batch:
        batch.add_column(sa.Column("event_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_mentions_event_id_events", "events", ["event_id"], ["id"])
        batch.create_index("ix_mentions_event_id", ["event_id"])
    assign_missing_events(op.get_bind())
    for sql in VIEWS.values():
        op.execute(sql)


def downgrade() -> None:
    for name in VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {name}")
    with op.batch_alter_table("mentions") as batch:
        batch.drop_index("ix_mentions_event_id")
        batch.drop_constraint("fk_mentions_event_id_events", type_="foreignkey")
        batch.drop_column("event_id")
    op.drop_index("ix_events_claim_id", "events")
    op.drop_table("events")
    for sql in views_created_by("0005_honest_dates.py").values():
        op.execute(sql)
