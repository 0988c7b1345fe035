"""Deduplication and tracking: article keys and near-duplicate bands, institution aliases,
mention months and monthly counts, and the claim_timeline / development_stages /
claims_by_month views.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Names for constraints a table may have been created with unnamed (before migrations existed).
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}

# The views as this revision created them (frozen here: storage/views.py moves on with later
# revisions, which drop and recreate them).
VIEWS = {
    "claim_timeline": "\nCREATE VIEW claim_timeline AS\nSELECT m.id AS mention_id,\n       m.seen_on AS reported_on,\n       m.seen_month AS month,\n       c.id AS claim_id,\n       c.development_id,\n       c.institution,\n       c.institution_key,\n       c.therapy,\n       c.indication,\n       c.stage,\n       m.patients,\n       m.outcome,\n       s.name AS source,\n       a.source_name AS outlet,\n       a.url,\n       a.title,\n       a.id AS article_id,\n       a.duplicate_of_id,\n       m.evidence\nFROM mentions m\nJOIN claims c ON c.id = m.claim_id\nJOIN articles a ON a.id = m.article_id\nJOIN sources s ON s.id = a.source_id\n",
    "development_stages": "\nCREATE VIEW development_stages AS\nSELECT d.id AS development_id,\n       d.institution,\n       d.institution_key,\n       d.therapy,\n       d.indication,\n       c.stage,\n       c.id AS claim_id,\n       c.first_seen AS first_reported,\n       c.last_seen AS last_reported,\n       c.mention_count,\n       c.source_count\nFROM developments d\nJOIN claims c ON c.development_id = d.id\n",
    "claims_by_month": "\nCREATE VIEW claims_by_month AS\nSELECT month,\n       NULLIF(therapy, '') AS therapy,\n       NULLIF(indication, '') AS indication,\n       NULLIF(stage, '') AS stage,\n       claims,\n       mentions\nFROM monthly_counts\n",
}


def _content_hash_unique(bind) -> str | None:
    for uc in sa.inspect(bind).get_unique_constraints("articles"):
        if uc.get("column_names") == ["content_hash"]:
            return uc.get("name") or "uq_articles_content_hash"
    return None


def upgrade() -> None:
    bind = op.get_bind()
    unique_name = _content_hash_unique(bind)
    with op.batch_alter_table("articles", naming_convention=NAMING) as batch:
        batch.add_column(sa.Column("article_key", sa.String(), nullable=True))
        batch.add_column(sa.Column("duplicate_kind", sa.String(), nullable=True))
        batch.add_column(sa.Column("similarity", sa.Float(), nullable=True))
        if unique_name:
            batch.drop_constraint(unique_name, type_="unique")
    op.execute(
        "UPDATE articles SET article_key = CASE WHEN url IS NOT NULL THEN 'url:' || url "
        "ELSE 'text:' || content_hash END"
    )
    with op.batch_alter_table("articles") as batch:
        batch.alter_column("article_key", existing_type=sa.String(), nullable=False)
        batch.create_unique_constraint("uq_articles_article_key", ["article_key"])
    op.create_index("ix_articles_content_hash", "articles", ["content_hash"])

    op.create_table(
        "article_bands",
        sa.Column("bucket", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column(
            "article_id", sa.Integer(), sa.ForeignKey("articles.id"), primary_key=True, autoincrement=False
        ),
        sa.Column("band", sa.Integer(), nullable=False),
    )
    op.create_index("ix_article_bands_article_id", "article_bands", ["article_id"])
    op.create_table(
        "institution_aliases",
        sa.Column("alias_key", sa.String(), primary_key=True),
        sa.Column("canonical_key", sa.String(), nullable=False),
        sa.Column("canonical_name", sa.String(), nullable=False),
        sa.Column("origin", sa.String(), nullable=False),
    )

    with op.batch_alter_table("mentions") as batch:
        batch.add_column(sa.Column("seen_month", sa.String(length=7), nullable=True))
    op.execute("UPDATE mentions SET seen_month = substr(CAST(seen_on AS VARCHAR(10)), 1, 7)")
    with op.batch_alter_table("mentions") as batch:
        batch.alter_column("seen_month", existing_type=sa.String(length=7), nullable=False)

    op.create_table(
        "claim_months",
        sa.Column(
            "claim_id", sa.Integer(), sa.ForeignKey("claims.id"), primary_key=True, autoincrement=False
        ),
        sa.Column("month", sa.String(length=7), primary_key=True),
    )
    op.create_table(
        "monthly_counts",
        sa.Column("month", sa.String(length=7), primary_key=True),
        sa.Column("therapy", sa.String(), primary_key=True),
        sa.Column("indication", sa.String(), primary_key=True),
        sa.Column("stage", sa.String(), primary_key=True),
        sa.Column("claims", sa.Integer(), nullable=False),
        sa.Column("mentions", sa.Integer(), nullable=False),
    )
    op.execute(
        "INSERT INTO claim_months (claim_id, month) SELECT DISTINCT claim_id, seen_month FROM mentions"
    )
    dimensions = ("therapy", "indication", "stage")
    for column in dimensions:  # one grouping set each; the other two columns are ''
        values = ", ".join(f"c.{c}" if c == column else "''" for c in dimensions)
        op.execute(
            "INSERT INTO monthly_counts (month, therapy, indication, stage, claims, mentions) "
            f"SELECT m.seen_month, {values}, COUNT(DISTINCT c.id), COUNT(*) "
            f"FROM mentions m JOIN claims c ON c.id = m.claim_id GROUP BY m.seen_month, c.{column}"
        )
    for sql in VIEWS.values():
        op.execute(sql)


def downgrade() -> None:
    for name in VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {name}")
    for table in ("monthly_counts", "claim_months", "institution_aliases", "article_bands"):
        op.drop_table(table)
    op.drop_index("ix_articles_content_hash", "articles")
    with op.batch_alter_table("mentions") as batch:
        batch.drop_column("seen_month")
    with op.batch_alter_table("articles") as batch:
        batch.drop_constraint("uq_articles_article_key", type_="unique")
        batch.drop_column("similarity")
        batch.drop_column("duplicate_kind")
        batch.drop_column("article_key")
        batch.create_unique_constraint("uq_articles_content_hash", ["content_hash"])
