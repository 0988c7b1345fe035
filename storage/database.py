"""Engine and schema: ``make_engine(url)`` and ``init_db(engine)``."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import SQLModel, create_engine

from . import models  # noqa: F401  (registers the tables on SQLModel.metadata)

DEFAULT_DATABASE_URL = "sqlite:///./data/cgt_monitor.db"


def make_engine(url: str = DEFAULT_DATABASE_URL, echo: bool = False) -> Engine:
    """An engine for any SQLAlchemy URL; for SQLite, the file's folder is created and the
    connection set up for a pipeline (WAL journal, foreign keys, a busy timeout)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def init_db(engine: Engine) -> None:
    """Create the tables that do not exist yet (safe to repeat)."""
    SQLModel.metadata.create_all(engine)
