"""Kill the request's own database connection after its view ran, as a DBA's `pg_terminate_backend`,
a failover or a restart does: for the teardown tests, in-process and under gunicorn.

gunicorn tests.core.killed_connection:app   (DATABASE_URL, INSTANCE_PATH; PostgreSQL only): a request
sent with the `X-Test-Kill-Connection` header has its connection terminated before its teardown.
"""

from __future__ import annotations

import os

from flask import Flask, Response, request
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from webapp import create_app
from webapp.extensions import db

KILL_HEADER = "X-Test-Kill-Connection"


def terminate_request_connection(killer: Engine) -> None:
    """Make the request's session hold a connection, then terminate that backend from `killer`
    and wait until it is gone (PostgreSQL 14+: `pg_terminate_backend(pid, timeout)`)."""
    pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with killer.begin() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar()


def kill_connections_on_request(app: Flask, database_url: str) -> None:
    """After every response to a request carrying `KILL_HEADER`, terminate its database connection."""
    killer = create_engine(database_url, poolclass=NullPool)

    @app.after_request
    def _terminate(response: Response) -> Response:
        if request.headers.get(KILL_HEADER):
            terminate_request_connection(killer)
        return response


if os.environ.get("SIGNET_KILLED_CONNECTION_SERVER"):
    app = create_app()
    kill_connections_on_request(app, os.environ["DATABASE_URL"])
