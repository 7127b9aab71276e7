"""Migrations and the database layer (SQLite and PostgreSQL)."""

from __future__ import annotations

import importlib
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from sqlalchemy import create_engine, make_url, text
from sqlmodel import Session, SQLModel, select

from tests import factories
from tests.core.fake_servers import silent_server
from webapp.accounts.models import AdminUser
from webapp.db import describe_database, make_engine, postgres_connect_args
from webapp.extensions import db
from webapp.schema import current_revision, head_revision, upgrade_to_head


def test_migrations_from_empty_to_head_match_the_models(database_url: str) -> None:
    """Upgrading an empty database reaches head, and the schema equals what the models declare."""
    upgrade_to_head(database_url)
    engine = create_engine(database_url)
    try:
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_upgrade_keeps_existing_data(database_url: str) -> None:
    """Running the upgrade again on a database with data keeps every row."""
    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    from sqlmodel import Session

    with Session(engine) as session:
        factories.gen_admin(session)
        session.commit()
    upgrade_to_head(database_url)
    with Session(engine) as session:
        assert [a.email for a in session.exec(select(AdminUser)).all()] == [factories.ADMIN_EMAIL]
    engine.dispose()


def test_migrate_cli_reports_state(app: Flask, database_url: str) -> None:
    """`flask migrate` applies migrations and says so; a second run says it is up to date."""
    from tests.conftest import reset_postgres_schema

    if database_url.startswith("postgresql"):
        reset_postgres_schema(database_url)
    else:
        with app.app_context():
            db.dispose()  # pooled connections would keep the deleted file alive (PITFALLS 2.4)
        Path(database_url.removeprefix("sqlite:///")).unlink()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["migrate"])
    assert "upgraded: empty ->" in first.output, first.output
    second = runner.invoke(args=["migrate"])
    assert "up to date" in second.output


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    """Every SQLite connection runs in WAL mode with a busy timeout and foreign keys on."""
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_concurrent_sqlite_writers_queue_instead_of_failing(tmp_path: Path) -> None:
    """Two threads doing read-then-write transactions at once both succeed (BEGIN IMMEDIATE, PITFALLS 2.2)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE counter (n INTEGER)")
        connection.exec_driver_sql("INSERT INTO counter VALUES (0)")
    writer = engine.execution_options(signet_writer=True)
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def bump() -> None:
        try:
            barrier.wait()
            for _ in range(25):
                with writer.begin() as connection:
                    value = connection.execute(text("SELECT n FROM counter")).scalar_one()
                    connection.execute(text("UPDATE counter SET n = :n"), {"n": value + 1})
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT n FROM counter").scalar() == 100
    engine.dispose()


def test_request_session_is_closed_after_the_request(app: Flask) -> None:
    """The per-request session is created on demand, reused within the request, and closed at teardown."""
    closed: list[Session] = []
    with app.test_request_context("/"):
        session = db.session
        assert db.session is session
        session.exec(select(AdminUser)).all()  # opens a transaction on a pooled connection
        assert session.in_transaction()
        original_close = session.close
        session.close = lambda: (closed.append(session), original_close())  # type: ignore[method-assign]
    assert closed == [session]  # the teardown closed exactly the request's session
    assert not session.in_transaction()


def test_each_upgrade_step_keeps_existing_rows(database_url: str) -> None:
    """An instance at an older revision with data upgrades to head without losing or breaking rows."""
    from alembic import command

    from webapp.schema import alembic_config

    config = alembic_config(database_url)
    command.upgrade(config, "0001")
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO admin_users (email, password_hash, is_active, created_at) "
                "VALUES ('old@acme.example', 'scrypt:x', true, CURRENT_TIMESTAMP)"
            )
        )
    upgrade_to_head(database_url)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT email, session_epoch FROM admin_users")).one()
    engine.dispose()
    assert tuple(row) == ("old@acme.example", 0)


def test_postgres_connections_get_connect_and_statement_timeouts() -> None:
    """PostgreSQL URLs get a connect timeout and a statement timeout; values in the URL are kept."""
    assert postgres_connect_args(make_url("postgresql+psycopg://u:p@db.internal/signet")) == {
        "connect_timeout": 5,
        "options": "-c statement_timeout=30000",
    }
    assert postgres_connect_args(
        make_url("postgresql+psycopg://u@db/signet?connect_timeout=10&options=-c%20search_path%3Dsignet")
    ) == {"options": "-c search_path=signet -c statement_timeout=30000"}
    assert postgres_connect_args(make_url("sqlite:///x.db")) == {}


def test_postgres_sessions_run_with_the_statement_timeout(database_url: str) -> None:
    """Every pooled PostgreSQL connection has the 30 s statement timeout set."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "30s"
    finally:
        engine.dispose()


def test_database_is_described_without_its_password() -> None:
    """Messages name the host, port and database, never the password."""
    described = describe_database("postgresql+psycopg://signet:Sup3r-s3cret@db.internal:6543/signet")
    assert described == "db.internal:6543 (database signet)"
    assert describe_database("sqlite:////srv/signet/signet.db") == "the SQLite file /srv/signet/signet.db"


def test_migrate_fails_within_seconds_on_a_silent_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`flask migrate` against a server that never answers stops within seconds, naming the host."""
    from tests.conftest import TEST_SECRET_KEY
    from webapp import create_app

    monkeypatch.setattr(importlib.import_module("webapp.db"), "CONNECT_TIMEOUT_SECONDS", 2)
    with silent_server() as port:
        app = create_app(
            {
                "SECRET_KEY": TEST_SECRET_KEY,
                "INSTANCE_PATH": str(tmp_path),
                "DATABASE_URL": f"postgresql+psycopg://signet:Sup3r-s3cret@127.0.0.1:{port}/signet",
                "DATABASE_CHECK_ON_START": False,
            }
        )
        results: list[Any] = []
        started = time.monotonic()
        runner = threading.Thread(
            target=lambda: results.append(app.test_cli_runner().invoke(args=["migrate"])), daemon=True
        )
        runner.start()
        runner.join(timeout=10)
        elapsed = time.monotonic() - started
    assert results, "`flask migrate` still waiting on the database after 10 s"
    result = results[0]
    assert result.exit_code == 1
    assert f"127.0.0.1:{port}" in result.output and "no answer within 2 seconds" in result.output
    assert "Sup3r-s3cret" not in result.output
    assert elapsed < 5
