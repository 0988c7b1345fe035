"""Development identity: developments keyed by registry ids, products, parties (or the article,
for an unnamed party) through development_keys; every named party in development_parties;
claims unique per (development, stage); outlets per article and outlet counts per claim.

Existing developments keep their rows: each gets the party key it would get now (the first
one to claim a key keeps it; a development without an institution gets "legacy:<id>").

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from storage.identity import party_key
from storage.views import views_created_by

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The views as this revision creates them (frozen: storage/views.py moves on with later revisions).
VIEWS_CREATED = {
    "claim_timeline": "\nCREATE VIEW claim_timeline AS\nSELECT m.id AS mention_id,\n       m.seen_on AS reported_on,\n       m.seen_month AS month,\n       c.id AS claim_id,\n       c.development_id,\n       c.institution,\n       c.institution_key,\n       c.therapy,\n       c.indication,\n       c.stage,\n       m.patients,\n       m.outcome,\n       s.name AS source,\n       a.outlet,\n       a.source_name AS outlet_name,\n       a.url,\n       a.title,\n       a.published,\n       a.id AS article_id,\n       a.duplicate_of_id,\n       m.evidence\nFROM mentions m\nJOIN claims c ON c.id = m.claim_id\nJOIN articles a ON a.id = m.article_id\nJOIN sources s ON s.id = a.source_id\n",
    "development_stages": "\nCREATE VIEW development_stages AS\nSELECT d.id AS development_id,\n       d.institution,\n       d.institution_key,\n       d.therapy,\n       d.indication,\n       d.product,\n       c.stage,\n       CASE c.stage WHEN 'research' THEN 0 WHEN 'preclinical' THEN 1 WHEN 'clinical_trial' THEN 2 WHEN 'clinical_use' THEN 3 WHEN 'approved' THEN 4 END AS stage_order,\n       c.id AS claim_id,\n       c.first_seen AS first_reported,\n       c.last_seen AS last_reported,\n       c.mention_count,\n       c.source_count,\n       c.outlet_count\nFROM developments d\nJOIN claims c ON c.development_id = d.id\n",
    "development_outlets": "\nCREATE VIEW development_outlets AS\nSELECT c.development_id,\n       a.outlet,\n       COUNT(*) AS mentions,\n       MIN(m.seen_on) AS first_reported,\n       MAX(m.seen_on) AS last_reported\nFROM mentions m\nJOIN claims c ON c.id = m.claim_id\nJOIN articles a ON a.id = m.article_id\nGROUP BY c.development_id, a.outlet\n",
    "claims_by_month": "\nCREATE VIEW claims_by_month AS\nSELECT month,\n       NULLIF(therapy, '') AS therapy,\n       NULLIF(indication, '') AS indication,\n       NULLIF(stage, '') AS stage,\n       claims,\n       mentions\nFROM monthly_counts\n",
}

# The views of revision 0002, dropped here because the tables under them are rebuilt.
OLD_VIEWS = ("claim_timeline", "development_stages", "claims_by_month")


def _outlet(url: str | None, named: str | None, source: str) -> str:
    from parsers.pages.urls import site_of

    return site_of(url) or named or source


def upgrade() -> None:
    bind = op.get_bind()
    for name in OLD_VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {name}")

    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("outlet", sa.String(), nullable=True))
    rows = bind.execute(
        sa.text(
            "SELECT a.id, a.url, a.source_name, s.name FROM articles a JOIN sources s ON s.id = a.source_id"
        )
    ).all()
    if rows:
        bind.execute(
            sa.text("UPDATE articles SET outlet = :outlet WHERE id = :id"),
            [{"id": r[0], "outlet": _outlet(r[1], r[2], r[3])} for r in rows],
        )

    with op.batch_alter_table("developments") as batch:
        batch.add_column(sa.Column("identity_key", sa.String(), nullable=True))
        batch.add_column(sa.Column("product", sa.String(), nullable=True))
    op.create_table(
        "development_keys",
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("development_id", sa.Integer(), sa.ForeignKey("developments.id"), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
    )
    op.create_index("ix_development_keys_development_id", "development_keys", ["development_id"])
    op.create_table(
        "development_parties",
        sa.Column("development_id", sa.Integer(), sa.ForeignKey("developments.id"), primary_key=True),
        sa.Column("institution_key", sa.String(), primary_key=True),
        sa.Column("institution", sa.String(), nullable=False),
    )
    developments = bind.execute(
        sa.text("SELECT id, institution_key, institution, therapy, indication FROM developments ORDER BY id")
    ).all()
    taken: set[str] = set()
    identities, keys, parties = [], [], []
    for dev_id, institution_key, institution, therapy, indication in developments:
        key = party_key(institution_key, therapy, indication) if institution_key else None
        if key is None or key in taken:
            key, kind = f"legacy:{dev_id}", "legacy"
        else:
            kind = "party"
        taken.add(key)
        identities.append({"id": dev_id, "key": key})
        keys.append({"key": key, "id": dev_id, "kind": kind})
        if institution_key:
            parties.append({"id": dev_id, "ik": institution_key, "name": institution or institution_key})
    if identities:
        bind.execute(sa.text("UPDATE developments SET identity_key = :key WHERE id = :id"), identities)
        bind.execute(
            sa.text("INSERT INTO development_keys (key, development_id, kind) VALUES (:key, :id, :kind)"),
            keys,
        )
    if parties:
        bind.execute(
            sa.text(
                "INSERT INTO development_parties (development_id, institution_key, institution) "
                "VALUES (:id, :ik, :name)"
            ),
            parties,
        )
    with op.batch_alter_table("developments") as batch:
        batch.alter_column("identity_key", existing_type=sa.String(), nullable=False)
        batch.drop_constraint("uq_developments_key", type_="unique")
        batch.create_unique_constraint("uq_developments_identity_key", ["identity_key"])
    op.create_index("ix_developments_indication", "developments", ["indication"])

    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("outlet_count", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("claims") as batch:
        batch.alter_column("outlet_count", existing_type=sa.Integer(), server_default=None)
        batch.drop_constraint("uq_claims_key", type_="unique")
        batch.create_unique_constraint("uq_claims_development_stage", ["development_id", "stage"])
    op.execute(
        "UPDATE claims SET outlet_count = (SELECT COUNT(DISTINCT a.outlet) FROM mentions m "
        "JOIN articles a ON a.id = m.article_id WHERE m.claim_id = claims.id)"
    )
    for sql in VIEWS_CREATED.values():
        op.execute(sql)


def downgrade() -> None:
    for name in VIEWS_CREATED:
        op.execute(f"DROP VIEW IF EXISTS {name}")
    with op.batch_alter_table("claims") as batch:
        batch.drop_constraint("uq_claims_development_stage", type_="unique")
        batch.create_unique_constraint("uq_claims_key", ["institution_key", "therapy", "indication", "stage"])
        batch.drop_column("outlet_count")
    op.drop_index("ix_developments_indication", "developments")
    with op.batch_alter_table("developments") as batch:
        batch.drop_constraint("uq_developments_identity_key", type_="unique")
        batch.create_unique_constraint("uq_developments_key", ["institution_key", "therapy", "indication"])
        batch.drop_column("product")
        batch.drop_column("identity_key")
    op.drop_table("development_parties")
    op.drop_table("development_keys")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("outlet")
    for sql in views_created_by("0002_dedup_tracking.py", "VIEWS").values():
        op.execute(sql)
