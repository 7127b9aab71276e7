"""The request session's teardown never raises: a connection lost mid-request (closed underneath on
SQLite, `pg_terminate_backend` on PostgreSQL) is discarded with a warning that names the path only,
the response still goes out, and the next request gets a fresh connection. Under gunicorn nothing
escapes to its "Error handling request" log (which would quote the query string) or its access log."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from flask import Flask
from sqlalchemy import text

from scripts.serve import ACCESS_LOG_FORMAT
from tests.conftest import POSTGRES_URL, free_port, make_test_app, reset_postgres_schema
from tests.core.killed_connection import KILL_HEADER, kill_connections_on_request
from tests.delivery.factories import gen_signed_teammate
from webapp.delivery import api_tokens
from webapp.extensions import db
from webapp.security import public

ROOT = Path(__file__).resolve().parents[2]
QUERY = "per_page=500&probe=Q7x9"
LOST = "the request's database connection was lost"
POSTGRES_ONLY = pytest.mark.skipif(
    not POSTGRES_URL.startswith("postgresql"),
    reason="pg_terminate_backend needs TEST_DATABASE_URL (PostgreSQL)",
)


def _close_connection_underneath() -> str:
    """Use the request's session, then close its DBAPI connection behind SQLAlchemy's back."""
    connection = db.session.connection()
    connection.exec_driver_sql("SELECT 1")
    dbapi_connection = connection.connection.dbapi_connection
    assert dbapi_connection is not None
    dbapi_connection.close()
    return "done"


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records]


def test_teardown_survives_a_connection_closed_underneath(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """The response is sent, one warning names the method and path (no query string), and the
    following requests work on a fresh connection."""
    app.add_url_rule("/probe/lost-connection", view_func=public(_close_connection_underneath))
    app.add_url_rule(
        "/probe/query", view_func=public(lambda: str(db.session.execute(text("SELECT 7")).scalar()))
    )
    client = app.test_client()
    with caplog.at_level(logging.WARNING):
        response = client.get(f"/probe/lost-connection?{QUERY}")
    assert response.status_code == 200 and response.text == "done"
    warnings = [line for line in _lines(caplog) if "database connection" in line]
    assert len(warnings) == 1 and warnings[0].startswith(f"GET /probe/lost-connection: {LOST} ("), warnings
    assert all("probe=Q7x9" not in line for line in _lines(caplog))
    for _ in range(3):
        assert client.get("/probe/query").text == "7"


def test_teardown_never_raises_even_when_discarding_fails(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """A session whose close and invalidate both fail still ends the request quietly (one warning)."""

    class Broken:
        def close(self) -> None:
            raise RuntimeError("close failed")

        def invalidate(self) -> None:
            raise RuntimeError("invalidate failed")

    @public
    def broken_session() -> str:
        from flask import g

        g.db_session = Broken()
        return "sent"

    app.add_url_rule("/probe/broken-session", view_func=broken_session)
    with caplog.at_level(logging.WARNING):
        response = app.test_client().get(f"/probe/broken-session?{QUERY}")
    assert response.status_code == 200 and response.text == "sent"
    assert any(line.startswith(f"GET /probe/broken-session: {LOST}") for line in _lines(caplog))


def _seed_api(app: Flask) -> str:
    """One signed teammate and an API token; returns the token."""
    with app.app_context(), db.session_scope() as session:
        gen_signed_teammate(session, name="Ada Lovelace")
        _, token = api_tokens.create_token(session=session, name="Probe", created_by=None)
    return token


@pytest.mark.postgres
@POSTGRES_ONLY
def test_api_request_whose_backend_is_terminated_still_answers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`pg_terminate_backend` on the export API request's connection after the view ran: the JSON
    answer goes out, the warning names the path only, and the next request works."""
    reset_postgres_schema(POSTGRES_URL)
    app = make_test_app(POSTGRES_URL, tmp_path / "instance")
    token = _seed_api(app)
    kill_connections_on_request(app, POSTGRES_URL)
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    with caplog.at_level(logging.WARNING):
        killed = client.get(f"/api/v1/signatures?{QUERY}", headers={**bearer, KILL_HEADER: "1"})
    assert killed.status_code == 200
    assert [item["display_name"] for item in killed.get_json()["items"]] == ["Ada Lovelace"]
    assert any(line.startswith(f"GET /api/v1/signatures: {LOST}") for line in _lines(caplog)), _lines(caplog)
    assert all("probe=Q7x9" not in line for line in _lines(caplog))
    for _ in range(3):
        assert client.get(f"/api/v1/signatures?{QUERY}", headers=bearer).status_code == 200
    with app.app_context():
        db.dispose()


@pytest.mark.postgres
@POSTGRES_ONLY
def test_under_gunicorn_a_terminated_backend_leaves_no_error_and_no_query_string_in_any_log(
    tmp_path: Path,
) -> None:
    """The reported case under a real gunicorn (`make run`'s access-log format, error log at debug):
    200, the access log has the path (not "GET None"), no line has "Error handling request" or the
    query string."""
    reset_postgres_schema(POSTGRES_URL)
    setup = make_test_app(POSTGRES_URL, tmp_path / "instance")
    token = _seed_api(setup)
    with setup.app_context():
        db.dispose()
    port, logs = free_port(), tmp_path / "logs"
    logs.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": POSTGRES_URL,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "BASE_URL": f"http://127.0.0.1:{port}",
        "SIGNET_KILLED_CONNECTION_SERVER": "1",
        "LOG_LEVEL": "DEBUG",
    }
    command = [str(Path(sys.executable).parent / "gunicorn"), "--workers", "1", "--threads", "2"]
    command += ["--bind", f"127.0.0.1:{port}", "--access-logfile", str(logs / "access.log")]
    command += ["--access-logformat", ACCESS_LOG_FORMAT, "--error-logfile", str(logs / "error.log")]
    command += ["--log-level", "debug", "--capture-output", "--no-control-socket"]
    command += ["tests.core.killed_connection:app"]
    with (logs / "process.log").open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)  # noqa: S603
        try:
            _wait_until_up(f"http://127.0.0.1:{port}", process)
            url = f"http://127.0.0.1:{port}/api/v1/signatures?{QUERY}"
            bearer = {"Authorization": f"Bearer {token}"}
            killed = httpx.get(url, headers={**bearer, KILL_HEADER: "1"}, timeout=15)
            assert killed.status_code == 200 and killed.json()["items"]
            assert httpx.get(url, headers=bearer, timeout=15).status_code == 200
            lines = _logged(logs, expected=3)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    assert not [line for line in lines if "Error handling request" in line], lines[-20:]
    assert not [line for line in lines if "probe=Q7x9" in line], lines[-20:]
    assert not [line for line in lines if '"GET None' in line], lines[-20:]
    assert sum('"GET /api/v1/signatures HTTP/1.1" 200' in line for line in lines) == 2, lines[-20:]
    assert any(f"GET /api/v1/signatures: {LOST}" in line for line in lines), lines[-20:]


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "gunicorn exited during start-up"
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not start")


def _logged(logs: Path, *, expected: int) -> list[str]:
    """Every log line, once the access log has `expected` lines (health check and the two requests)."""
    deadline = time.monotonic() + 10
    while True:
        access = (logs / "access.log").read_text().splitlines() if (logs / "access.log").exists() else []
        if len(access) >= expected or time.monotonic() > deadline:
            return [line for path in sorted(logs.glob("*.log")) for line in path.read_text().splitlines()]
        time.sleep(0.1)
