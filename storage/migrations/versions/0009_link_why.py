"""mentions.link_why: why a report joined its development and its event (the keys it shared,
or the linkage score and its strongest signals; ``storage.linking``); mentions.report: what
the report said of its development's identity (parties, place, product, registry ids), which
later reports are compared with.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mentions") as batch:
        batch.add_column(sa.Column("link_why", sa.Text(), nullable=True))
        batch.add_column(sa.Column("report", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mentions") as batch:
        batch.drop_column("report")
        batch.drop_column("link_why")
