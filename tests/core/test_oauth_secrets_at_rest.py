"""OAuth `state` and `nonce` are kept only as hashes: a copy of the database can't finish a sign-in."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from tests.conftest import AuthActions
from tests.okta_flow import drive_okta, fill_wizard
from webapp.extensions import db
from webapp.sources.okta import store
from webapp.sources.okta.models import secret_digest


def _attempt_rows(app: Flask) -> list[dict[str, Any]]:
    with app.app_context(), db.engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(text("SELECT * FROM oauth_attempts"))]


def test_state_and_nonce_are_stored_hashed_and_the_callback_still_works(
    client: FlaskClient, signed_in: AuthActions, sandbox: Any, app: Flask
) -> None:
    """The attempt row holds neither value Okta was sent (only their SHA-256), and Okta's callback,
    looked up by hash, still completes the connection."""
    fill_wizard(client, domain=sandbox.origin, client_id=sandbox.sandbox.default_app.client_id)
    start = client.get("/setup/okta/connect")
    assert start.status_code == 302
    sent = {k: v[0] for k, v in parse_qs(urlsplit(start.headers["Location"]).query).items()}
    rows = _attempt_rows(app)
    assert len(rows) == 1
    stored = " ".join(str(value) for value in rows[0].values())
    assert sent["state"] not in stored and sent["nonce"] not in stored
    assert rows[0]["state_hash"] == secret_digest(sent["state"])
    assert rows[0]["nonce_hash"] == secret_digest(sent["nonce"])

    outcome = drive_okta(start.headers["Location"])
    finished = client.get(outcome.path_and_query)
    assert finished.status_code == 200, finished.get_data(as_text=True)
    with app.app_context():
        connection = store.get_connection(session=db.session)
        assert connection is not None and connection.status == "connected"


def test_a_stored_hash_is_not_a_valid_state(
    client: FlaskClient, signed_in: AuthActions, sandbox: Any, app: Flask
) -> None:
    """Presenting the stored hash itself as `state` (what a database copy would show) is refused."""
    fill_wizard(client, domain=sandbox.origin, client_id=sandbox.sandbox.default_app.client_id)
    assert client.get("/setup/okta/connect").status_code == 302
    stored_hash = _attempt_rows(app)[0]["state_hash"]
    with app.app_context():
        assert store.claim_attempt(session=db.session, state=stored_hash, admin_id=1) is None
