"""Honest dates: how each article's date was obtained (articles.date_source), which mentions
are dated (mentions.dated), and claims whose first/last reported dates come from dated
mentions only (claims.dated False when only undated articles report them). Undated mentions
leave the monthly counts: they were not reported in the month they were read. The condition
vocabulary as a table (conditions: ICD-10, parent, group) for queries by group, and the views
mentions_by_month and the new columns of the others.

Revision ID: 0005
Revises: 0004
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from storage.views import VIEWS

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for name in _views_of("0004_development_identity.py"):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("date_source", sa.String(), nullable=False, server_default="fetched"))
    op.execute("UPDATE articles SET date_source = 'page' WHERE published IS NOT NULL")
    with op.batch_alter_table("articles") as batch:
        batch.alter_column("date_source", existing_type=sa.String(), server_default=None)

    with op.batch_alter_table("mentions") as batch:
        batch.add_column(sa.Column("dated", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.execute(
        "UPDATE mentions SET dated = (SELECT a.published IS NOT NULL FROM articles a WHERE a.id = mentions.article_id)"
    )
    with op.batch_alter_table("mentions") as batch:
        batch.alter_column("dated", existing_type=sa.Boolean(), server_default=None)

    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("dated", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("claims") as batch:
        batch.alter_column("dated", existing_type=sa.Boolean(), server_default=None)
    # First / last reported from dated mentions where a claim has any.
    for bound, column in (("MIN", "first_seen"), ("MAX", "last_seen")):
        op.execute(
            f"UPDATE claims SET {column} = (SELECT {bound}(m.seen_on) FROM mentions m "
            "WHERE m.claim_id = claims.id AND m.dated) "
            "WHERE EXISTS (SELECT 1 FROM mentions m WHERE m.claim_id = claims.id AND m.dated)"
        )
    op.execute(
        "UPDATE claims SET dated = EXISTS (SELECT 1 FROM mentions m WHERE m.claim_id = claims.id AND m.dated)"
    )

    op.create_table(
        "conditions",
        sa.Column("name", sa.String(), primary_key=True),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("icd10", sa.String(), nullable=True),
        sa.Column("parent", sa.String(), nullable=True),
        sa.Column("group_name", sa.String(), nullable=False),
    )

    # Monthly counts from dated mentions only.
    op.execute("DELETE FROM monthly_counts")
    op.execute("DELETE FROM claim_months")
    op.execute(
        "INSERT INTO claim_months (claim_id, month) SELECT DISTINCT claim_id, seen_month FROM mentions WHERE dated"
    )
    dimensions = ("therapy", "indication", "stage")
    for column in dimensions:
        values = ", ".join(f"c.{c}" if c == column else "''" for c in dimensions)
        op.execute(
            "INSERT INTO monthly_counts (month, therapy, indication, stage, claims, mentions) "
            f"SELECT m.seen_month, {values}, COUNT(DISTINCT c.id), COUNT(*) "
            f"FROM mentions m JOIN claims c ON c.id = m.claim_id WHERE m.dated GROUP BY m.seen_month, c.{column}"
        )
    for sql in VIEWS.values():
        op.execute(sql)


def downgrade() -> None:
    for name in VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {name}")
    op.drop_table("conditions")
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("dated")
    with op.batch_alter_table("mentions") as batch:
        batch.drop_column("dated")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("date_source")
    for sql in _views_of("0004_development_identity.py").values():
        op.execute(sql)


def _views_of(filename: str) -> dict[str, str]:
    """The views a revision created (each revision that changes views freezes their SQL)."""
    path = Path(__file__).with_name(filename)
    spec = importlib.util.spec_from_file_location(f"revision_{filename[:4]}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.VIEWS_CREATED
