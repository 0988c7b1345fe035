"""storage.database: only the commands that own the schema migrate it; the others open the
database as it is (open_database), read-only, and say what to run when it is not ready."""

import os
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from flows.cli import app
from storage.database import current_revision, head_revision, make_engine, open_database, upgrade_database
from storage.errors import SchemaError
from storage.queries import list_claims
from tests.storage.conftest import engine_at, report

runner = CliRunner()
PREVIOUS = "0009"  # any revision older than the head


def test_a_missing_sqlite_file_is_refused_and_not_created(tmp_path):
    path = tmp_path / "nothing" / "cgt.db"
    with pytest.raises(SchemaError, match="no database at .*cgt-monitor run"):
        open_database(f"sqlite:///{path}")
    assert not path.parent.exists()
    out = runner.invoke(app, ["claims", "--database-url", f"sqlite:///{path}"])
    assert out.exit_code == 2 and "no database at" in out.output
    assert (
        runner.invoke(app, ["db", "current", "--database-url", f"sqlite:///{path}"]).stdout.strip()
        == "(empty)"
    )
    assert not path.parent.exists()


def test_an_older_schema_is_refused_by_reading_commands_and_left_as_it_is(database_url):
    engine = make_engine(database_url)
    upgrade_database(engine, PREVIOUS)
    with pytest.raises(SchemaError, match=f"revision {PREVIOUS}, this cgt-monitor needs {head_revision()}"):
        open_database(database_url)
    for command in (["claims"], ["timeline"], ["developments", "split", "1"]):
        out = runner.invoke(app, [*command, "--database-url", database_url])
        assert out.exit_code == 2, out.output
        assert "cgt-monitor db upgrade" in out.output
    assert current_revision(engine) == PREVIOUS


def test_an_empty_database_is_refused(database_url):
    if database_url.startswith("sqlite"):
        make_engine(database_url).connect().close()  # an SQLite file with no tables
    with pytest.raises(SchemaError, match="holds no cgt-monitor schema"):
        open_database(database_url)


def test_a_read_only_sqlite_engine_reads_and_cannot_write(tmp_path):
    url = f"sqlite:///{tmp_path / 'cgt.db'}"
    report(engine_at(url), 1, "Nansha Hospital")
    engine = open_database(url)
    assert [c.institution for c in list_claims(engine)] == ["Nansha Hospital"]
    with pytest.raises(OperationalError, match="readonly"), engine.begin() as conn:
        conn.execute(text("DELETE FROM claims"))
    assert len(list_claims(open_database(url))) == 1


@contextmanager
def unwritable(folder: Path):
    """The folder and its files made unwritable for this user: by their modes, or, for root
    (whom modes do not bind), by the immutable attribute (chattr +i; skipped where the file
    system or the tools have none)."""
    paths = [*folder.iterdir(), folder]
    if os.geteuid() != 0:
        for path in paths:
            path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", *map(str, paths)], capture_output=True).returncode:
        subprocess.run([chattr or "true", "-i", *map(str, paths)], capture_output=True)
        pytest.skip("root, and no immutable attribute here (chattr)")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", *map(str, paths)], check=True)


def test_reading_commands_work_on_a_file_the_user_cannot_write(tmp_path):
    folder = tmp_path / "db"
    url = f"sqlite:///{folder / 'cgt.db'}"
    engine = engine_at(url)
    report(engine, 1, "Nansha Hospital")
    engine.dispose()
    with unwritable(folder):
        with pytest.raises(OSError):  # the guard holds: not even this user can write here
            (folder / "probe").write_text("x")
        out = runner.invoke(app, ["claims", "--database-url", url])
        assert out.exit_code == 0, out.output
        assert "Nansha Hospital" in out.stdout
        out = runner.invoke(app, ["timeline", "--database-url", url])
        assert out.exit_code == 0 and "Nansha Hospital" in out.stdout, out.output
        assert sorted(p.name for p in folder.iterdir()) == ["cgt.db"]  # no journal, nothing written


def test_reading_commands_work_for_a_postgresql_user_who_may_only_select(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only (CGT_MONITOR_TEST_POSTGRES_URL)")
    report(engine_at(database_url), 1, "Nansha Hospital")
    role = f"reader_{uuid4().hex[:8]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    database = make_url(database_url).database
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
        conn.exec_driver_sql(f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"')
        conn.exec_driver_sql(f'GRANT USAGE ON SCHEMA public TO "{role}"')
        conn.exec_driver_sql(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"')
    reader = make_url(database_url).set(username=role, password=None).render_as_string(hide_password=False)
    try:
        out = runner.invoke(app, ["claims", "--database-url", reader])
        assert out.exit_code == 0, out.output
        assert "Nansha Hospital" in out.stdout
        out = runner.invoke(app, ["timeline", "--mentions", "--database-url", reader])
        assert out.exit_code == 0 and "Nansha Hospital" in out.stdout, out.output
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'"
            )
            conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
            conn.exec_driver_sql(f'DROP ROLE "{role}"')
        admin.dispose()
