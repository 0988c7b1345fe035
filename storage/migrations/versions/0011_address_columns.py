"""address: where a source, an article or a failure was read from (a file path or URL) is its
``address``; ``location`` is left to the claims, where it is a place.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_TABLES = ("sources", "articles", "failures")


def upgrade() -> None:
    # RENAME COLUMN is plain SQL on PostgreSQL and SQLite (3.25+), and keeps indexes and data.
    for table in _TABLES:
        op.execute(f"ALTER TABLE {table} RENAME COLUMN location TO address")


def downgrade() -> None:
    for table in _TABLES:
        op.execute(f"ALTER TABLE {table} RENAME COLUMN address TO location")
