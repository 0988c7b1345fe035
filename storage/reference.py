"""The reference tables filled from the vocabulary and the users' files: institution aliases
and the condition hierarchy (synced at the start of each run)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from parsers.institution_keys import institution_base_key, institution_key
from parsers.vocab import ConditionInfo

from . import statements as sql
from .developments import DevelopmentResolver
from .models import Condition, InstitutionAlias


def resolve_institution(session: Session, name: str | None) -> str:
    """The key an institution name is stored under: an alias's canonical key when the name (or
    its base, without parent bodies) is a known alias, else the base key."""
    aliases = dict(
        session.execute(select(col(InstitutionAlias.alias_key), col(InstitutionAlias.canonical_key))).all()
    )
    return DevelopmentResolver(session, aliases).institution_key(name)


def sync_aliases(engine: Engine, aliases: Iterable[tuple[str, str]], origin: str) -> int:
    """Insert or update (alias, canonical name) pairs; returns how many there were."""
    rows = {}
    for alias, canonical in aliases:
        alias_key = institution_key(alias)
        if alias_key:
            rows[alias_key] = (institution_base_key(canonical), canonical)
    if not rows:
        return 0
    with Session(engine) as session, session.begin():
        for alias_key, (canonical_key, canonical_name) in rows.items():
            values = {"canonical_key": canonical_key, "canonical_name": canonical_name, "origin": origin}
            if not sql.insert_ignore(
                session, InstitutionAlias, {"alias_key": alias_key, **values}, ["alias_key"]
            ):
                session.execute(
                    update(InstitutionAlias)
                    .where(col(InstitutionAlias.alias_key) == alias_key)
                    .values(**values)
                )
    return len(rows)


def sync_conditions(engine: Engine, conditions: Iterable[ConditionInfo]) -> int:
    """Replace the conditions table with the vocabulary's conditions (one transaction)."""
    rows = [
        {
            "name": c.name,
            "category": c.category,
            "icd10": c.icd10 or None,
            "parent": c.parent,
            "group_name": c.group,
        }
        for c in conditions
    ]
    with Session(engine) as session, session.begin():
        known = {
            tuple(r)
            for r in session.execute(
                select(
                    col(Condition.name),
                    col(Condition.category),
                    col(Condition.icd10),
                    col(Condition.parent),
                    col(Condition.group_name),
                )
            ).all()
        }
        if known == {tuple(r.values()) for r in rows}:
            return len(rows)  # unchanged: no write, no lock
        session.execute(delete(Condition))
        if rows:
            session.execute(insert(Condition), rows)
    return len(rows)
