"""Database engine and one SQLModel session per request.

SQLite is set up for a web app that also runs a background sync thread (PITFALLS 2.1-2.4):
WAL so readers never wait for the writer, a busy timeout so writers queue instead of failing,
foreign keys on, and `BEGIN IMMEDIATE` for transactions that will write, so a read-then-write
transaction never has to upgrade its lock (the upgrade is what returns SQLITE_BUSY without
waiting). https://www.sqlite.org/lang_transaction.html

A database that accepts connections but never answers must not hang the app: PostgreSQL connections
give up after `CONNECT_TIMEOUT_SECONDS` and statements after `STATEMENT_TIMEOUT_MS`, and `/healthz`
runs its ping in a helper thread it waits on for at most `HEALTH_PING_SECONDS`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeoutError
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import DateTime, Engine, TypeDecorator, create_engine, event, make_url
from sqlalchemy.engine import URL, Connection, Dialect
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Field, Session, SQLModel

SQLITE_BUSY_TIMEOUT_MS = 5000
CONNECT_TIMEOUT_SECONDS = 5
# Long enough for any page's queries, short enough that a stuck lock frees the worker.
STATEMENT_TIMEOUT_MS = 30_000
# How long a request waits for a pooled connection before giving up (SQLAlchemy's default is 30 s).
POOL_TIMEOUT_SECONDS = 10
HEALTH_PING_SECONDS = 1.5
HEALTH_PINGS_AT_ONCE = 2
# Requests with these methods only read; everything else opens its transaction as a writer.
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# Named constraints let SQLite's batch migrations find and alter them later.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use webapp.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def timestamp_field(*, nullable: bool = False, index: bool = False) -> Any:
    """A UTC timestamp column; non-nullable ones default to now."""
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, nullable=True, index=index)
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=index)


def make_engine(url: str) -> Engine:
    """Create the engine for `url`, with SQLite's pragmas and transaction handling when needed."""
    if not url.startswith("sqlite"):
        return create_engine(
            url,
            pool_pre_ping=True,
            pool_timeout=POOL_TIMEOUT_SECONDS,
            connect_args=postgres_connect_args(make_url(url)),
        )
    engine = create_engine(
        url,
        # The pool hands a connection to one thread at a time, which is what pysqlite needs.
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
    )
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_sqlite_transaction)
    return engine


def postgres_connect_args(url: URL) -> dict[str, Any]:
    """libpq/psycopg connection parameters: a connect timeout and a server-side statement timeout.

    Values given in the URL win (`?connect_timeout=10`); `options` from the URL are kept and ours added.
    https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-PARAMKEYWORDS
    """
    if not url.get_backend_name().startswith("postgresql"):
        return {}
    query = dict(url.query)
    args: dict[str, Any] = {}
    if "connect_timeout" not in query:
        args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    options = str(query.get("options", ""))
    if "statement_timeout" not in options:
        args["options"] = f"{options} -c statement_timeout={STATEMENT_TIMEOUT_MS}".strip()
    return args


def describe_database(url: str) -> str:
    """Where the database is, for messages: host and port (or the SQLite file), never the password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"the SQLite file {parsed.database}" if parsed.database else "an in-memory SQLite database"
    where = parsed.host or "the local socket"
    if parsed.port:
        where += f":{parsed.port}"
    return f"{where} (database {parsed.database})" if parsed.database else where


class DatabaseUnreachableError(RuntimeError):
    """The database did not answer; the message names where it was looked for, never a password."""


def check_reachable(engine: Engine, url: str) -> None:
    """Connect once and run `SELECT 1`; raise `DatabaseUnreachableError` (within the timeouts) if it fails."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except SQLAlchemyError as error:
        raise DatabaseUnreachableError(
            f"Signet could not reach its database at {describe_database(url)}: {_reason(error, url)}."
        ) from error


def _reason(error: SQLAlchemyError, url: str) -> str:
    detail = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    text = (str(detail).strip().splitlines() or [type(detail).__name__])[0].rstrip(".")
    parsed = make_url(url)
    if parsed.password:
        text = text.replace(str(parsed.password), "***")
    if "timeout" in text.lower():
        seconds = parsed.query.get("connect_timeout", CONNECT_TIMEOUT_SECONDS)
        text += f" (no answer within {seconds} seconds)"
    return text


def _configure_sqlite_connection(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    # Let SQLAlchemy emit BEGIN itself (pysqlite's own implicit BEGIN would defeat BEGIN IMMEDIATE).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    mode = "IMMEDIATE" if connection.get_execution_options().get("signet_writer") else "DEFERRED"
    connection.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """Flask extension giving each app its engine and each request its session.

    The engine lives in `app.extensions`, not on this object, so several apps (tests, a CLI next to
    a server) never share one.
    """

    def init_app(self, app: Flask) -> None:
        """Create the engine from `DATABASE_URL` and close the request's session on teardown."""
        app.extensions["signet_db"] = make_engine(app.config["DATABASE_URL"])
        app.extensions["signet_db_ping_slots"] = threading.BoundedSemaphore(HEALTH_PINGS_AT_ONCE)
        # At request teardown, while the request (its method and path, for a warning) is still there;
        # the app-context teardown closes a session used outside any request (CLI, app-context work).
        app.teardown_request(self._close_request_session)
        app.teardown_appcontext(self._close_request_session)

    @property
    def engine(self) -> Engine:
        """The current app's engine."""
        engine: Engine = current_app.extensions["signet_db"]
        return engine

    def new_session(self, *, writer: bool = False) -> Session:
        """A fresh session; `writer=True` starts its transactions with `BEGIN IMMEDIATE` on SQLite."""
        bind = self.engine.execution_options(signet_writer=True) if writer else self.engine
        # expire_on_commit=False: objects stay readable after commit (flask-login's current_user,
        # templates rendered after the write), see PITFALLS 2.6.
        return Session(bind, expire_on_commit=False)

    @contextmanager
    def session_scope(self, *, writer: bool = True) -> Iterator[Session]:
        """A short unit of work outside a request (CLI, jobs): commit on success, roll back on error."""
        session = self.new_session(writer=writer)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @property
    def session(self) -> Session:
        """The current request's session, created on first use and closed at teardown."""
        if "db_session" not in g:
            try:
                writer = request.method not in READ_ONLY_METHODS
            except RuntimeError:  # no request: CLI or app-context work
                writer = True
            g.db_session = self.new_session(writer=writer)
        session: Session = g.db_session
        return session

    def ensure_request_session_idle(self) -> None:
        """Refuse to go on while this request's session holds a transaction.

        Called before talking to Okta: the token service writes refreshed tokens from its own
        connection, which would wait on (SQLite) or deadlock with (PostgreSQL row locks) an open
        transaction of the request, and no lock should be held across a network call anyway.
        """
        if has_request_context() and "db_session" in g and g.db_session.in_transaction():
            raise RuntimeError("Commit the request's database transaction before calling Okta.")

    def _close_request_session(self, _exc: BaseException | None) -> None:
        """Close the request's session; never raise.

        Teardown runs after the response is built, outside Flask's error handling: an exception here
        escapes to the WSGI server (gunicorn answers 500, logs "Error handling request" with the full
        query string, and its access log loses the path). Closing rolls back on the connection, which
        fails when that connection died mid-request (`pg_terminate_backend`, a failover, a restart):
        the connection is then invalidated, so the pool never hands it out again.
        """
        session: Session | None = g.pop("db_session", None)
        if session is None:
            return
        try:
            session.close()
        except Exception as error:  # noqa: BLE001 - whatever the driver raises, the response is sent
            _log_lost_connection(error)
            with suppress(Exception):
                session.invalidate()

    def ping(self) -> str | None:
        """Whether the current app's database answers quickly: None if it does, else why not (`ping`)."""
        return ping(self.engine, slots=current_app.extensions["signet_db_ping_slots"])

    def dispose(self) -> None:
        """Close the current app's pooled connections (tests, and before moving the SQLite file)."""
        self.engine.dispose()


def _log_lost_connection(error: Exception) -> None:
    """One warning naming the method and path only: the query string may hold secrets (the access
    log leaves it out too), and the driver's message may quote SQL and its parameters."""
    where = f"{request.method} {request.path}: " if has_request_context() else ""
    current_app.logger.warning(
        "%sthe request's database connection was lost (%s); it was discarded.", where, type(error).__name__
    )


_PING_WORKERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="signet-db-ping")


def ping(
    engine: Engine, *, slots: threading.BoundedSemaphore, timeout: float = HEALTH_PING_SECONDS
) -> str | None:
    """Whether the database answers `SELECT 1` within `timeout` seconds: None if it does, else why not.

    The query runs in a helper thread, so the caller (the /healthz request) never waits longer than
    `timeout`, even on a server that accepts connections and then says nothing. A ping still stuck
    keeps its slot until the driver's own timeout ends it; when every slot is stuck the answer is
    "unavailable" at once, so a flood of health checks cannot pile up threads.
    """
    if not slots.acquire(blocking=False):
        return "earlier checks are still waiting for it"
    future = _PING_WORKERS.submit(_ping_and_release, engine, slots)
    try:
        future.result(timeout=timeout)
    except FutureTimeoutError:
        return f"did not answer within {timeout} seconds"
    except SQLAlchemyError as error:
        return f"failed ({type(error).__name__})"
    return None


def _ping_and_release(engine: Engine, slots: threading.BoundedSemaphore) -> None:
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    finally:
        slots.release()
