"""Engine and schema: ``make_engine(url)`` and ``upgrade_database(engine)``.

The schema is owned by the Alembic migrations in ``storage/migrations``; ``upgrade_database``
brings any database (new, older, or created before migrations existed) to the latest revision.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlmodel import create_engine

from . import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from .errors import SchemaError

DEFAULT_DATABASE_URL = "sqlite:///./data/cgt_monitor.db"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str = DEFAULT_DATABASE_URL, echo: bool = False) -> Engine:
    """An engine for any SQLAlchemy URL.

    SQLite: the file's folder is created; WAL journal, foreign keys, a 30 s busy timeout, and
    every transaction starts with BEGIN IMMEDIATE so that concurrent writers queue instead of
    failing half-way ("database is locked" on upgrade from a read lock).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, echo=echo, pool_pre_ping=True)
    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # the driver stays out; SQLAlchemy emits BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade_database(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to ``revision`` (safe to repeat). A database created
    before migrations existed (tables but no alembic_version) is taken as revision 0001."""
    config = alembic_config()
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:  # tables are rebuilt during some SQLite upgrades: no FK checks meanwhile
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            config.attributes["connection"] = conn
            tables = set(inspect(conn).get_table_names())
            if "sources" in tables and "alembic_version" not in tables:
                command.stamp(config, "0001")
            command.upgrade(config, revision)
            conn.commit()
        finally:
            if sqlite:
                raw = conn.connection.driver_connection
                problems = raw.execute("PRAGMA foreign_key_check").fetchall()  # type: ignore[union-attr]
                raw.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
                if problems:
                    raise SchemaError(f"foreign-key violations after migration: {problems[:5]}")


def init_db(engine: Engine) -> None:
    """Create or upgrade the schema (safe to repeat)."""
    upgrade_database(engine)
