"""What a run needs before its first article: the database engine (schema migrated, built-in
institution aliases loaded) and the user's aliases file."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy.engine import Engine

from parsers.vocab import condition_hierarchy, default_vocabulary
from storage.database import make_engine, upgrade_database
from storage.reference import sync_aliases, sync_conditions


def prepare_database(database_url: str) -> Engine:
    """The engine of one run (or one writing command), created once and passed down: the
    schema migrated to the latest revision and the built-in institution aliases and condition
    vocabulary loaded. The caller owns it (``engine.dispose()`` when done); reading commands
    open theirs with ``storage.database.open_database`` instead, which never migrates."""
    engine = make_engine(database_url)
    upgrade_database(engine)
    sync_aliases(engine, builtin_aliases(), origin="builtin")
    sync_conditions(engine, condition_hierarchy())
    return engine


def builtin_aliases() -> list[tuple[str, str]]:
    """(alias, canonical name) pairs of the organisations vocabulary."""
    return sorted(default_vocabulary().organization_aliases.items())


def load_alias_file(path: Path) -> list[tuple[str, str]]:
    """(alias, canonical name) pairs from a CSV file with the columns alias,canonical."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [line for line in fh if line.strip() and not line.lstrip().startswith("#")]
    pairs = []
    for row in csv.DictReader(rows):
        alias, canonical = (row.get("alias") or "").strip(), (row.get("canonical") or "").strip()
        if not alias or not canonical:
            raise ValueError(f"{path}: every row needs alias and canonical")
        pairs.append((alias, canonical))
    return pairs
