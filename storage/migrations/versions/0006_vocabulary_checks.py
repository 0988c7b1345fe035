"""The domain vocabulary in the schema: CHECK constraints that therapy, stage and outcome
columns hold only the values of ``parsers.models`` Therapy, Stage and Outcome (frozen here as
they were at this revision; a later vocabulary change replaces the constraints in a revision of
its own). Values outside the vocabulary stop the upgrade with the offending rows named.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from storage.views import views_created_by

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

THERAPIES = (
    "cell therapy",
    "stem cell therapy",
    "mesenchymal stem cell therapy",
    "CAR-T cell therapy",
    "other immune cell therapy",
    "iPSC-derived cell therapy",
    "gene therapy",
    "gene editing",
    "cell and gene therapy",
)
STAGES = ("research", "preclinical", "clinical_trial", "clinical_use", "approved")
OUTCOMES = ("improved", "no_effect", "adverse", "mixed")

# (table, column, allowed values)
CHECKS = (
    ("developments", "therapy", THERAPIES),
    ("claims", "therapy", THERAPIES),
    ("claims", "stage", STAGES),
    ("claims", "outcome", OUTCOMES),
    ("mentions", "outcome", OUTCOMES),
)


def _condition(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    conn = op.get_bind()
    for table, column, values in CHECKS:
        bad = sorted(
            conn.execute(
                sa.text(
                    f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL "
                    f"AND NOT ({_condition(column, values)})"
                )
            ).scalars()
        )
        if bad:
            raise RuntimeError(f"{table}.{column} holds values outside the vocabulary: {bad}; fix them first")
    # SQLite rebuilds the tables below; views on them would block the rename
    for name in views_created_by("0005_honest_dates.py"):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    for table in dict.fromkeys(t for t, _, _ in CHECKS):
        with op.batch_alter_table(table) as batch:
            for t, column, values in CHECKS:
                if t == table:
                    batch.create_check_constraint(f"ck_{table}_{column}", _condition(column, values))
    for sql in views_created_by("0005_honest_dates.py").values():
        op.execute(sql)


def downgrade() -> None:
    for name in views_created_by("0005_honest_dates.py"):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    for table in dict.fromkeys(t for t, _, _ in CHECKS):
        with op.batch_alter_table(table) as batch:
            for t, column, _values in CHECKS:
                if t == table:
                    batch.drop_constraint(f"ck_{table}_{column}", type_="check")
    for sql in views_created_by("0005_honest_dates.py").values():
        op.execute(sql)
