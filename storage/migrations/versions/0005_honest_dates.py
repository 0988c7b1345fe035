"""Honest dates: how each article's date was obtained (articles.date_source), which mentions
are dated (mentions.dated), and claims whose first/last reported dates come from dated
mentions only (claims.dated False when only undated articles report them). Undated mentions
leave the monthly counts: they were not reported in the month they were read. The condition
vocabulary as a table (conditions: ICD-10, parent, group) for queries by group, and the views
mentions_by_month and the new columns of the others.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from storage.views import views_created_by

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


# The views as this revision created them (frozen: a later revision that changes them recreates
# its own; 0006 recreates these unchanged).
VIEWS_CREATED = {
    "claim_timeline": "\nCREATE VIEW claim_timeline AS\nSELECT m.id AS mention_id,\n       m.seen_on AS reported_on,\n       m.seen_month AS month,\n       m.dated,\n       a.date_source,\n       c.id AS claim_id,\n       c.development_id,\n       c.institution,\n       c.institution_key,\n       c.therapy,\n       c.indication,\n       cond.group_name AS indication_group,\n       cond.icd10,\n       c.stage,\n       m.patients,\n       m.outcome,\n       s.name AS source,\n       a.outlet,\n       a.source_name AS outlet_name,\n       a.url,\n       a.title,\n       a.published,\n       a.fetched_at,\n       a.id AS article_id,\n       a.duplicate_of_id,\n       m.evidence\nFROM mentions m\nJOIN claims c ON c.id = m.claim_id\nJOIN articles a ON a.id = m.article_id\nJOIN sources s ON s.id = a.source_id\nLEFT JOIN conditions cond ON cond.name = c.indication\n",
    "development_stages": "\nCREATE VIEW development_stages AS\nSELECT d.id AS development_id,\n       d.institution,\n       d.institution_key,\n       d.therapy,\n       d.indication,\n       d.product,\n       c.stage,\n       CASE c.stage WHEN 'research' THEN 0 WHEN 'preclinical' THEN 1 WHEN 'clinical_trial' THEN 2 WHEN 'clinical_use' THEN 3 WHEN 'approved' THEN 4 END AS stage_order,\n       c.id AS claim_id,\n       c.first_seen AS first_reported,\n       c.last_seen AS last_reported,\n       c.dated,\n       c.mention_count,\n       c.source_count,\n       c.outlet_count\nFROM developments d\nJOIN claims c ON c.development_id = d.id\n",
    "development_outlets": "\nCREATE VIEW development_outlets AS\nSELECT c.development_id,\n       a.outlet,\n       COUNT(*) AS mentions,\n       MIN(CASE WHEN m.dated THEN m.seen_on END) AS first_reported,\n       MAX(CASE WHEN m.dated THEN m.seen_on END) AS last_reported,\n       MIN(m.seen_on) AS first_read_or_reported\nFROM mentions m\nJOIN claims c ON c.id = m.claim_id\nJOIN articles a ON a.id = m.article_id\nGROUP BY c.development_id, a.outlet\n",
    "claims_by_month": "\nCREATE VIEW claims_by_month AS\nSELECT month,\n       NULLIF(therapy, '') AS therapy,\n       NULLIF(indication, '') AS indication,\n       NULLIF(stage, '') AS stage,\n       claims,\n       mentions\nFROM monthly_counts\n",
    "mentions_by_month": "\nCREATE VIEW mentions_by_month AS\nSELECT m.seen_month AS month,\n       c.therapy,\n       c.stage,\n       CASE c.stage WHEN 'research' THEN 0 WHEN 'preclinical' THEN 1 WHEN 'clinical_trial' THEN 2 WHEN 'clinical_use' THEN 3 WHEN 'approved' THEN 4 END AS stage_order,\n       c.indication,\n       COALESCE(cond.group_name, c.indication) AS indication_group,\n       COUNT(DISTINCT c.id) AS claims,\n       COUNT(DISTINCT c.development_id) AS developments,\n       COUNT(*) AS mentions\nFROM mentions m\nJOIN claims c ON c.id = m.claim_id\nLEFT JOIN conditions cond ON cond.name = c.indication\nWHERE m.dated\nGROUP BY m.seen_month, c.therapy, c.stage, c.indication, cond.group_name\n",
}


def upgrade() -> None:
    for name in views_created_by("0004_development_identity.py"):
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
    for sql in VIEWS_CREATED.values():
        op.execute(sql)


def downgrade() -> None:
    for name in VIEWS_CREATED:
        op.execute(f"DROP VIEW IF EXISTS {name}")
    op.drop_table("conditions")
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("dated")
    with op.batch_alter_table("mentions") as batch:
        batch.drop_column("dated")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("date_source")
    for sql in views_created_by("0004_development_identity.py").values():
        op.execute(sql)
