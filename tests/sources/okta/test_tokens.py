"""The token service: refresh before expiry and after a 401, rotation persisted first, single-flight
across threads and processes, crash recovery within Okta's leeway, and secrets kept secret."""

from __future__ import annotations

import logging
import multiprocessing
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlmodel import select

from tests.conftest import AuthActions
from tests.helpers import page_text
from tests.okta_flow import connect_okta, fill_wizard
from tests.sources.okta import _workers
from webapp.audit.models import AuditEvent
from webapp.db import utcnow
from webapp.extensions import db
from webapp.sources.okta import oauth, store
from webapp.sources.okta.api import OktaApi
from webapp.sources.okta.errors import NeedsReconnectError
from webapp.sources.okta.models import OktaConnection
from webapp.sources.okta.service import okta_services
from webapp.sources.okta.tokens import HOSTNAME, TokenService

REFRESH = {"path": "/oauth2/v1/token", "grant_type": "refresh_token"}


@pytest.fixture
def connected(client: FlaskClient, signed_in: AuthActions, sandbox: Any, app: Flask) -> Any:
    """Signet connected to the sandbox through the real flow; the sandbox's request log cleared."""
    fill_wizard(client, domain=sandbox.origin, client_id=sandbox.sandbox.default_app.client_id)
    assert connect_okta(client).status_code == 200
    sandbox.sandbox.clear_request_log()
    return sandbox


def _row(app: Flask) -> OktaConnection:
    with app.app_context(), db.session_scope(writer=False) as session:
        connection = store.get_connection(session=session)
        assert connection is not None
        return connection


def _expire_access_token(app: Flask, *, in_seconds: int = -5) -> None:
    with app.app_context(), db.session_scope() as session:
        connection = store.get_connection(session=session)
        assert connection is not None
        connection.access_token_expires_at = utcnow() + timedelta(seconds=in_seconds)
        session.add(connection)


def _stored_refresh_token(app: Flask) -> str:
    row = _row(app)
    assert row.refresh_token_ciphertext
    with app.app_context():
        return okta_services.secret_box.decrypt(row.refresh_token_ciphertext)


def _child_config(app: Flask) -> dict[str, Any]:
    return {key: app.config[key] for key in ("SECRET_KEY", "DATABASE_URL", "BASE_URL")} | {
        "INSTANCE_PATH": app.instance_path,
        "OKTA_ALLOW_LOOPBACK": True,  # the sandbox is on 127.0.0.1
    }


def test_valid_access_token_is_used_without_refreshing(app: Flask, connected: Any) -> None:
    """A token far from expiry is handed out as stored; Okta's token endpoint is not called."""
    with app.app_context():
        okta_services.tokens.access_token()
    assert connected.sandbox.count_requests(**REFRESH) == 0


def test_refreshes_shortly_before_expiry_and_stores_the_rotated_token(app: Flask, connected: Any) -> None:
    """Within a minute of expiry the token is refreshed once, and the new refresh token replaces the old."""
    before = _row(app)
    old_refresh = _stored_refresh_token(app)
    _expire_access_token(app, in_seconds=30)
    with app.app_context():
        token = okta_services.tokens.access_token()
        assert okta_services.tokens.access_token() == token  # now fresh: no second refresh
    after = _row(app)
    assert connected.sandbox.count_requests(**REFRESH) == 1
    assert _stored_refresh_token(app) != old_refresh
    assert after.token_version == before.token_version + 1
    assert after.access_token_expires_at and after.access_token_expires_at > utcnow() + timedelta(minutes=50)
    assert after.refresh_lease_owner is None


def test_401_triggers_one_refresh_and_a_retry(app: Flask, connected: Any) -> None:
    """If Okta rejects the access token (revoked alone), the API client refreshes once and retries."""
    with app.app_context():
        token = okta_services.tokens.access_token()
        connected.sandbox.revoke_token(client_id=connected.sandbox.default_app.client_id, token=token)
        api = okta_services.api(connected.origin)
        response = api.get("/api/v1/users", params={"limit": 1})
    assert response.status_code == 200
    assert connected.sandbox.count_requests(**REFRESH) == 1


def test_rotated_refresh_token_is_persisted_before_the_new_access_token_is_used(
    app: Flask, connected: Any
) -> None:
    """When the new access token is first used, the database already holds the new refresh token."""
    old_refresh = _stored_refresh_token(app)
    _expire_access_token(app)
    stored_at_use: list[str] = []

    def look_at_database(request: httpx.Request) -> None:
        if request.url.path.startswith("/api/v1/"):
            stored_at_use.append(_stored_refresh_token(app))

    with app.app_context():
        http = httpx.Client(event_hooks={"request": [look_at_database]})
        tokens = TokenService(database=db, secret_box=okta_services.secret_box, http=http)
        OktaApi(origin=connected.origin, tokens=tokens, http=http).get("/api/v1/users", params={"limit": 1})
        http.close()
    assert stored_at_use and stored_at_use[0] != old_refresh
    assert stored_at_use[0] == _stored_refresh_token(app)


def test_refresh_without_a_new_refresh_token_keeps_the_old_one(app: Flask, connected: Any) -> None:
    """With rotation off, Okta returns no refresh token: the stored one is kept, never blanked."""
    org = connected.sandbox
    org.update_app(org.default_app.client_id, refresh_rotation="STATIC")
    old_refresh = _stored_refresh_token(app)
    _expire_access_token(app)
    with app.app_context():
        okta_services.tokens.access_token()
    assert _stored_refresh_token(app) == old_refresh


def test_two_threads_cause_one_refresh(app: Flask, connected: Any) -> None:
    """Four threads asking at once for an expired token cause exactly one refresh at Okta, and agree."""
    _expire_access_token(app)
    connected.sandbox.inject_fault("latency", latency_seconds=0.3, path_prefix="/oauth2/v1/token", count=5)
    barrier = threading.Barrier(4)
    results: list[str] = []
    errors: list[BaseException] = []

    def ask() -> None:
        with app.app_context():
            barrier.wait()
            try:
                results.append(okta_services.tokens.access_token())
            except BaseException as error:  # noqa: BLE001 - asserted below
                errors.append(error)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(set(results)) == 1 and len(results) == 4
    assert connected.sandbox.count_requests(**REFRESH) == 1


def test_two_processes_cause_one_refresh(app: Flask, connected: Any) -> None:
    """Two processes (like two gunicorn workers) refreshing at once send one refresh request to Okta."""
    _expire_access_token(app)
    connected.sandbox.inject_fault("latency", latency_seconds=0.5, path_prefix="/oauth2/v1/token", count=5)
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    children = [
        context.Process(target=_workers.refresh_in_child, args=(_child_config(app), start, results))
        for _ in range(2)
    ]
    for child in children:
        child.start()
    start.set()
    outcomes = [results.get(timeout=60) for _ in children]
    for child in children:
        child.join(30)
    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    assert outcomes[0][1] == outcomes[1][1]
    assert connected.sandbox.count_requests(**REFRESH) == 1


def _crash_a_refresh(app: Flask) -> None:
    """A process refreshes and dies before saving: Okta has rotated, the database has the old token."""
    context = multiprocessing.get_context("spawn")
    child = context.Process(target=_workers.crash_after_rotation, args=(_child_config(app),))
    child.start()
    child.join(60)
    assert child.exitcode == 17


def test_crash_between_rotation_and_save_recovers_within_leeway(app: Flask, connected: Any) -> None:
    """After a crash mid-refresh, the next attempt succeeds with the previous token (inside the leeway),
    without waiting for the dead process's lease."""
    _expire_access_token(app)
    stale_refresh = _stored_refresh_token(app)
    _crash_a_refresh(app)
    row = _row(app)
    assert row.refresh_lease_owner and row.refresh_lease_owner.startswith(HOSTNAME)
    assert _stored_refresh_token(app) == stale_refresh
    connected.sandbox.clock.advance(10)  # inside Okta's default 30 s leeway
    with app.app_context():
        okta_services.tokens.access_token()
        okta_services.api(connected.origin).get("/api/v1/users", params={"limit": 1})
    assert _row(app).status == "connected"
    assert _stored_refresh_token(app) != stale_refresh
    assert connected.sandbox.count_requests(**REFRESH) == 2


def test_crash_recovered_after_leeway_means_reconnect_and_nothing_else_breaks(
    app: Flask, client: FlaskClient, connected: Any
) -> None:
    """Past the leeway Okta treats the old token as reuse: the connection needs reconnecting, it is
    audited and shown on every page, and the rest of Signet keeps working."""
    _expire_access_token(app)
    _crash_a_refresh(app)
    connected.sandbox.clock.advance(31)
    with app.app_context(), pytest.raises(NeedsReconnectError):
        okta_services.tokens.access_token()
    row = _row(app)
    assert row.status == "needs_reconnect"
    assert row.refresh_token_ciphertext is None and row.access_token_ciphertext is None
    for path in ("/", "/settings/", "/teammates/"):
        response = client.get(path)
        assert response.status_code == 200
        assert "Okta needs reconnecting." in page_text(response)
    with app.app_context():
        actions = [e.action for e in db.session.exec(select(AuditEvent)).all()]
    assert "okta.needs_reconnect" in actions
    wizard = page_text(client.get("/setup/okta"))
    assert "Needs reconnecting" in wizard and "Reconnect" in wizard


def test_revoked_grant_needs_reconnect(app: Flask, connected: Any) -> None:
    """When an Okta admin revokes Signet's tokens, the next call marks the connection 'needs reconnect'."""
    connected.sandbox.revoke_tokens()
    with app.app_context(), pytest.raises(NeedsReconnectError):
        okta_services.api(connected.origin).get("/api/v1/users", params={"limit": 1})
    assert _row(app).status == "needs_reconnect"


def test_reconnect_clears_the_banner(app: Flask, client: FlaskClient, connected: Any) -> None:
    """Reconnecting after a revoked grant brings the connection back and removes the banner."""
    connected.sandbox.revoke_tokens()
    with app.app_context(), pytest.raises(NeedsReconnectError):
        okta_services.api(connected.origin).get("/api/v1/users", params={"limit": 1})
    assert "Okta needs reconnecting." in page_text(client.get("/"))
    assert connect_okta(client).status_code == 200
    assert "Okta needs reconnecting." not in page_text(client.get("/"))


def test_dead_process_lease_is_taken_over_at_once(app: Flask, connected: Any) -> None:
    """A lease left by a process that no longer exists does not make others wait for it to expire."""
    import subprocess

    finished = subprocess.Popen(["true"])
    finished.wait()
    with app.app_context(), db.session_scope() as session:
        row = store.get_connection(session=session)
        assert row is not None
        row.refresh_lease_owner = f"{HOSTNAME}:{finished.pid}:1:dead"
        row.refresh_lease_expires_at = utcnow() + timedelta(seconds=14)
        row.access_token_expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
    with app.app_context():
        tokens = TokenService(
            database=db, secret_box=okta_services.secret_box, http=okta_services.http, lease_wait_seconds=2
        )
        tokens.access_token()
    assert connected.sandbox.count_requests(**REFRESH) == 1


def test_tokens_never_appear_in_logs_html_or_database(
    app: Flask, client: FlaskClient, signed_in: AuthActions, sandbox: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """No token or PKCE verifier is logged, rendered or stored in clear (connect, refresh, pages)."""
    caplog.set_level(logging.DEBUG)
    pages: list[str] = []
    fill_wizard(client, domain=sandbox.origin, client_id=sandbox.sandbox.default_app.client_id)
    start = client.get("/setup/okta/connect")
    from tests.okta_flow import drive_okta

    outcome = drive_okta(start.headers["Location"])
    pages.append(client.get(outcome.path_and_query).get_data(as_text=True))
    _expire_access_token(app)
    with app.app_context():
        okta_services.tokens.access_token()
    for path in ("/setup/okta", "/setup/okta?step=10", "/", "/settings/"):
        pages.append(client.get(path).get_data(as_text=True))

    org = sandbox.sandbox
    # Every token the sandbox ever issued (its own bookkeeping), plus Signet's stored PKCE verifiers.
    secrets = list(org._access_tokens) + list(org._refresh_tokens)  # noqa: SLF001 - test-only view
    assert len(secrets) >= 4
    with app.app_context(), db.session_scope(writer=False) as session:
        rows = session.execute(text("SELECT * FROM okta_connections")).all()
        rows += session.execute(text("SELECT * FROM oauth_attempts")).all()
        verifiers = [
            okta_services.secret_box.decrypt(r.code_verifier_ciphertext)
            for r in session.execute(text("SELECT code_verifier_ciphertext FROM oauth_attempts")).all()
        ]
    secrets += verifiers
    database_text = repr(rows)
    if app.config["DATABASE_URL"].startswith("sqlite"):
        db_file = Path(app.config["DATABASE_URL"].removeprefix("sqlite:///"))
        for path in (db_file, Path(f"{db_file}-wal")):
            if path.exists():
                database_text += path.read_bytes().decode("latin-1")
    client.post("/setup/okta/disconnect")
    for secret in secrets:
        assert secret not in caplog.text
        assert secret not in database_text
        assert all(secret not in page for page in pages)


def test_refresh_inside_a_post_request_does_not_deadlock(
    app: Flask, client: FlaskClient, connected: Any
) -> None:
    """'Check again' with an expiring token refreshes within the request (no lock held across it;
    a held SQLite lock would end in 'database is locked' and a 500)."""
    _expire_access_token(app)
    response = client.post("/setup/okta/verify")
    assert response.status_code == 303
    assert connected.sandbox.count_requests(**REFRESH) == 1
    assert _row(app).status == "connected"


def test_calling_okta_with_an_open_request_transaction_is_refused(app: Flask, connected: Any) -> None:
    """The token service refuses to run while the request's session holds a transaction."""
    with app.test_request_context("/setup/okta/verify", method="POST"):
        store.get_connection(session=db.session)  # opens the request's transaction
        with pytest.raises(RuntimeError, match="Commit the request's database transaction"):
            okta_services.tokens.access_token()


def test_disconnect_during_a_refresh_is_not_undone(
    app: Flask, client: FlaskClient, connected: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refresh answered by Okta but saved after Disconnect stores nothing and revokes what it got."""
    from webapp.sources.okta import tokens as tokens_module
    from webapp.sources.okta.errors import NotConnectedError

    real_refresh = tokens_module.oauth.refresh_tokens
    okta_answered, disconnected = threading.Event(), threading.Event()

    def paused_after_okta_answered(**kwargs: Any) -> oauth.TokenSet:
        result = real_refresh(**kwargs)
        okta_answered.set()  # Okta has rotated; hold the save until the disconnect is done
        disconnected.wait(10)
        return result

    monkeypatch.setattr(tokens_module.oauth, "refresh_tokens", paused_after_okta_answered)
    _expire_access_token(app)
    org = connected.sandbox
    outcome: list[BaseException | str] = []

    def refresh() -> None:
        with app.app_context():
            try:
                outcome.append(okta_services.tokens.access_token())
            except BaseException as error:  # noqa: BLE001 - asserted below
                outcome.append(error)

    worker = threading.Thread(target=refresh)
    worker.start()
    assert okta_answered.wait(10)
    assert client.post("/setup/okta/disconnect").status_code == 303
    disconnected.set()
    worker.join(10)
    row = _row(app)
    assert row.status == "disconnected"
    assert row.access_token_ciphertext is None and row.refresh_token_ciphertext is None
    assert len(outcome) == 1 and isinstance(outcome[0], NotConnectedError)
    assert org.count_requests(path="/oauth2/v1/revoke") == 2  # the disconnect's and the refresher's


def test_unknown_client_on_refresh_needs_reconnect(app: Flask, connected: Any) -> None:
    """If Okta no longer knows the app (deleted), the refresh marks the connection with that reason."""
    with app.app_context(), db.session_scope() as session:
        row = store.get_connection(session=session)
        assert row is not None
        row.client_id = "0oaDELETEDDELETED000"
        row.access_token_expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
    with app.app_context(), pytest.raises(NeedsReconnectError, match="no longer recognises"):
        okta_services.tokens.access_token()
    assert _row(app).status == "needs_reconnect"


def test_unreadable_tokens_need_reconnect_and_disconnect_still_works(
    app: Flask, client: FlaskClient, connected: Any
) -> None:
    """Tokens encrypted under a lost key mark the connection for reconnecting; Disconnect still works."""
    from cryptography.fernet import Fernet

    from webapp.crypto import SecretBox

    foreign = SecretBox([Fernet.generate_key()])
    with app.app_context(), db.session_scope() as session:
        row = store.get_connection(session=session)
        assert row is not None
        row.access_token_ciphertext = foreign.encrypt("x")
        row.refresh_token_ciphertext = foreign.encrypt("y")
        session.add(row)
    with app.app_context(), pytest.raises(NeedsReconnectError, match="can't be decrypted"):
        okta_services.tokens.access_token()
    assert _row(app).status == "needs_reconnect"
    assert client.post("/setup/okta/disconnect").status_code == 303
    assert _row(app).status == "disconnected"


def test_api_client_never_sends_the_token_to_another_host(app: Flask, connected: Any) -> None:
    """A next link pointing at another host is refused before any request carries the token."""
    from webapp.sources.okta.errors import OktaApiError

    with app.app_context(), pytest.raises(OktaApiError, match="another host"):
        okta_services.api(connected.origin).get("https://evil.example/api/v1/users")
