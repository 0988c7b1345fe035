"""Engine and schema: ``make_engine(url)``, ``upgrade_database(engine)`` and
``open_database(url)``.

The schema is owned by the Alembic migrations in ``storage/migrations``; ``upgrade_database``
brings any database (new, older, or created before migrations existed) to the latest revision.
Only the commands that own the schema upgrade it (``cgt-monitor db upgrade``, ``run``,
``serve``); the others open the database with ``open_database``, which never changes the
schema and refuses one that is not at the latest revision.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlmodel import create_engine

from . import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from .errors import SchemaError

DEFAULT_DATABASE_URL = "sqlite:///./data/cgt_monitor.db"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Key of the PostgreSQL advisory lock that serialises schema upgrades across processes.
SCHEMA_LOCK_KEY = 0x6367746D  # "cgtm"


def make_engine(url: str = DEFAULT_DATABASE_URL, echo: bool = False, *, read_only: bool = False) -> Engine:
    """An engine for any SQLAlchemy URL.

    SQLite: the file's folder is created; WAL journal, foreign keys, a 30 s busy timeout, and
    every transaction starts with BEGIN IMMEDIATE so that concurrent writers queue instead of
    failing half-way ("database is locked" on upgrade from a read lock). ``read_only`` (SQLite):
    the file is opened read-only (``mode=ro``), must exist, and nothing is written, not even
    the journal mode.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, echo=echo, pool_pre_ping=True)
    database = parsed.database
    on_disk = bool(database) and database != ":memory:" and not str(database).startswith("file:")
    if read_only and on_disk:
        path = Path(str(database)).expanduser()
        if not path.is_file():
            raise SchemaError(
                f"no database at {path}: `cgt-monitor run` or `cgt-monitor db upgrade` creates it"
            )
        url = str(parsed.set(database=_read_only_uri(path.resolve()), query={**parsed.query, "uri": "true"}))
    elif on_disk:
        Path(str(database)).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # the driver stays out; SQLAlchemy emits BEGIN
        cursor = dbapi_connection.cursor()
        if not read_only:
            _use_wal(cursor)
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn):
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _read_only_uri(path: Path) -> str:
    """The SQLite URI that opens ``path`` read-only: ``mode=ro``; or, when that cannot open it
    (a WAL database whose folder this user cannot write: SQLite must create its shared-memory
    file beside it), ``immutable=1`` - no locks, no files beside it, for a database that
    nobody can be writing from here anyway."""
    uri = f"file:{path}?mode=ro"
    try:
        probe = sqlite3.connect(uri, uri=True)
        try:
            probe.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            probe.close()
    except sqlite3.OperationalError:
        return f"file:{path}?mode=ro&immutable=1"
    return uri


def head_revision() -> str:
    """The latest revision of the migrations."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def open_database(url: str = DEFAULT_DATABASE_URL, *, read_only: bool = True) -> Engine:
    """An engine for a database already at the latest revision, for the commands that do not
    own the schema: nothing is migrated, and with ``read_only`` (the default) an SQLite file is
    opened read-only. Raises SchemaError, saying what to run, for a missing, empty or
    older database (or a newer one: an older cgt-monitor must not read it)."""
    engine = make_engine(url, read_only=read_only)
    try:
        revision = current_revision(engine)
    except Exception as exc:  # an unreachable server, a file that is not a database
        engine.dispose()
        raise SchemaError(f"cannot open the database: {str(exc).splitlines()[0]}") from exc
    head = head_revision()
    if revision != head:
        engine.dispose()
        if revision is None:
            raise SchemaError(
                "the database holds no cgt-monitor schema: `cgt-monitor run` or `cgt-monitor db upgrade` creates it"
            )
        raise SchemaError(
            f"the database schema is at revision {revision}, this cgt-monitor needs {head}: "
            "run `cgt-monitor db upgrade` (or `cgt-monitor run`)"
        )
    return engine


def _use_wal(cursor, patience: float = 30.0) -> None:
    """Switch the database file to WAL (a no-op once it is). Switching needs the file to
    itself, and SQLite answers "database is locked" at once rather than waiting out the busy
    timeout when other connections are opening the same new file: retry for ``patience`` s."""
    deadline = time.monotonic() + patience
    delay = 0.01
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade_database(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to ``revision`` (safe to repeat, also from several processes
    at once). A database created before migrations existed (tables but no alembic_version) is
    taken as revision 0001.

    Concurrent upgrades queue: on SQLite the transaction starts with BEGIN IMMEDIATE; on
    PostgreSQL it first takes a transaction-scoped advisory lock, so a second process waits and
    then finds the schema already at ``revision`` (two runs starting together on an empty
    database both created ``alembic_version`` before)."""
    config = alembic_config()
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        # The DBAPI connection itself: PRAGMA foreign_keys is a no-op inside a transaction,
        # which SQLAlchemy would begin.
        raw = conn.connection.driver_connection
        if (
            sqlite and raw is not None
        ):  # tables are rebuilt during some SQLite upgrades: no FK checks meanwhile
            raw.execute("PRAGMA foreign_keys=OFF")
        elif engine.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK_KEY})")
        try:
            config.attributes["connection"] = conn
            tables = set(inspect(conn).get_table_names())
            if "sources" in tables and "alembic_version" not in tables:
                command.stamp(config, "0001")
            command.upgrade(config, revision)
            conn.commit()
        finally:
            if sqlite and raw is not None:
                problems = raw.execute("PRAGMA foreign_key_check").fetchall()
                raw.execute("PRAGMA foreign_keys=ON")
                if problems:
                    raise SchemaError(f"foreign-key violations after migration: {problems[:5]}")


def init_db(engine: Engine) -> None:
    """Create or upgrade the schema (safe to repeat)."""
    upgrade_database(engine)
