"""The first schema: sources, articles, developments, claims, mentions, failures, fetch_state.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("location", sa.String(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_sources_name", "sources", ["name"], unique=True)
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source_id", sa.Integer(), sa.ForeignKey("sources.id"), nullable=False),
        sa.Column("url", sa.String(), nullable=True),
        sa.Column("location", sa.String(), nullable=True),
        sa.Column("external_id", sa.String(), nullable=True),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("fetched_at", TS, nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("language", sa.String(), nullable=True),
        sa.Column("source_name", sa.String(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("duplicate_of_id", sa.Integer(), sa.ForeignKey("articles.id"), nullable=True),
        sa.Column("claim_count", sa.Integer(), nullable=False),
        sa.UniqueConstraint("content_hash", name="uq_articles_content_hash"),
    )
    op.create_index("ix_articles_source_id", "articles", ["source_id"])
    op.create_index("ix_articles_url", "articles", ["url"])
    op.create_index("ix_articles_published", "articles", ["published"])
    op.create_table(
        "developments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("institution_key", sa.String(), nullable=False),
        sa.Column("institution", sa.String(), nullable=True),
        sa.Column("therapy", sa.String(), nullable=False),
        sa.Column("indication", sa.String(), nullable=False),
        sa.UniqueConstraint("institution_key", "therapy", "indication", name="uq_developments_key"),
    )
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("development_id", sa.Integer(), sa.ForeignKey("developments.id"), nullable=False),
        sa.Column("institution_key", sa.String(), nullable=False),
        sa.Column("institution", sa.String(), nullable=True),
        sa.Column("location", sa.String(), nullable=True),
        sa.Column("therapy", sa.String(), nullable=False),
        sa.Column("therapy_detail", sa.String(), nullable=True),
        sa.Column("indication", sa.String(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("patients", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(), nullable=True),
        sa.Column("first_seen", sa.Date(), nullable=False),
        sa.Column("last_seen", sa.Date(), nullable=False),
        sa.Column("mention_count", sa.Integer(), nullable=False),
        sa.Column("source_count", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("institution_key", "therapy", "indication", "stage", name="uq_claims_key"),
    )
    op.create_index("ix_claims_development_id", "claims", ["development_id"])
    op.create_index("ix_claims_indication", "claims", ["indication"])
    op.create_index("ix_claims_first_seen", "claims", ["first_seen"])
    op.create_table(
        "mentions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("claim_id", sa.Integer(), sa.ForeignKey("claims.id"), nullable=False),
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id"), nullable=False),
        sa.Column("seen_on", sa.Date(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("patients", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("claim_id", "article_id", name="uq_mentions_key"),
    )
    op.create_index("ix_mentions_claim_id", "mentions", ["claim_id"])
    op.create_index("ix_mentions_article_id", "mentions", ["article_id"])
    op.create_table(
        "failures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source_name", sa.String(), nullable=False),
        sa.Column("location", sa.String(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("occurred_at", TS, nullable=False),
    )
    op.create_index("ix_failures_source_name", "failures", ["source_name"])
    op.create_table(
        "fetch_state",
        sa.Column("url", sa.String(), primary_key=True),
        sa.Column("etag", sa.String(), nullable=True),
        sa.Column("last_modified", sa.String(), nullable=True),
        sa.Column("content_hash", sa.String(), nullable=True),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("checked_at", TS, nullable=False),
    )


def downgrade() -> None:
    for table in ("fetch_state", "failures", "mentions", "claims", "developments", "articles", "sources"):
        op.drop_table(table)
