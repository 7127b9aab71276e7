"""DPoP (RFC 9449): proofs as Okta checks them, and connect, refresh, rotation, API calls and
disconnect against the sandbox with "Require DPoP" on (and off: the rest of the suite)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy import text

from tests.conftest import AuthActions
from tests.helpers import page_text
from tests.okta_flow import SandboxTime, connect_okta, fill_wizard
from webapp.db import utcnow
from webapp.extensions import db
from webapp.sources.okta import store
from webapp.sources.okta.dpop import DPOP_SETTING, DpopKey, access_token_hash
from webapp.sources.okta.errors import NeedsReconnectError
from webapp.sources.okta.models import OktaConnection
from webapp.sources.okta.service import okta_services

USERS = "/api/v1/users"
TOKEN = "/oauth2/v1/token"  # noqa: S105 - a path


def _claims(proof: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The proof's header and claims, its signature checked with the key it carries."""
    segment = proof.split(".")[0]
    header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    token = jwt.decode(proof, ECKey.import_key(header["jwk"]))
    return token.header, token.claims


def test_a_proof_names_the_request_and_proves_the_key() -> None:
    """The proof is an ES256 `dpop+jwt` carrying the public key only, the method, the URL without
    query or fragment, a fresh jti, iat, the server nonce and the access token's hash."""
    key = DpopKey.generate()
    url = httpx.URL("https://dev-1.okta.com/api/v1/users?limit=1#x")
    proof = key.proof(method="get", url=url, nonce="n-1", access_token="at-1", now=lambda: 1_700_000_000)
    header, claims = _claims(proof)
    assert header["typ"] == "dpop+jwt" and header["alg"] == "ES256"
    assert set(header["jwk"]) == {"kty", "crv", "x", "y"}  # no private part
    assert claims["htm"] == "GET" and claims["htu"] == "https://dev-1.okta.com/api/v1/users"
    assert claims["iat"] == 1_700_000_000 and claims["nonce"] == "n-1"
    assert claims["ath"] == access_token_hash("at-1")
    _, again = _claims(key.proof(method="POST", url=url))
    assert again["jti"] != claims["jti"] and "ath" not in again and "nonce" not in again
    assert DpopKey.from_json(key.to_json()).thumbprint == key.thumbprint


@pytest.fixture
def dpop_org(client: FlaskClient, signed_in: AuthActions, sandbox: Any, app: Flask) -> Any:
    """The sandbox's app requires DPoP; the wizard is filled in; waits move the sandbox clock."""
    org = sandbox.sandbox
    org.set_dpop_required()
    fill_wizard(client, domain=sandbox.origin, client_id=org.default_app.client_id)
    with app.app_context():
        okta_services.state.transport.clock = SandboxTime(org).clock()
    return sandbox


def _row(app: Flask) -> OktaConnection:
    with app.app_context():
        connection = store.get_connection(session=db.session)
        assert connection is not None
        return connection


def _expire_access_token(app: Flask) -> None:
    with app.app_context(), db.session_scope() as session:
        connection = store.get_connection(session=session)
        assert connection is not None
        connection.access_token_expires_at = utcnow() - timedelta(seconds=5)
        session.add(connection)


def _token_statuses(org: Any, grant_type: str) -> list[int]:
    return [r.status for r in org.request_log() if r.path == TOKEN and r.grant_type == grant_type]


def test_connect_with_dpop_required_binds_the_tokens_to_signets_key(
    client: FlaskClient, dpop_org: Any, app: Flask
) -> None:
    """Okta asks for a proof, then for its nonce; Signet answers both, stores a DPoP-bound grant with
    its key encrypted, and checks it with DPoP-authorised API calls."""
    org = dpop_org.sandbox
    org.clear_request_log()
    assert connect_okta(client).status_code == 200
    row = _row(app)
    assert row.status == "connected" and row.token_type == "DPoP"
    assert row.dpop_key_ciphertext
    with app.app_context():
        private = json.loads(okta_services.secret_box.decrypt(row.dpop_key_ciphertext))["d"]
        stored = repr(db.session.execute(text("SELECT * FROM okta_connections")).all())
        stored += repr(db.session.execute(text("SELECT * FROM oauth_attempts")).all())
        attempt_keys = db.session.execute(text("SELECT dpop_key_ciphertext FROM oauth_attempts")).all()
    assert private not in stored  # stored encrypted only
    assert attempt_keys == [(None,)]  # moved from the attempt to the connection
    assert _token_statuses(org, "authorization_code")[-3:] == [400, 400, 200]  # no proof, no nonce, ok
    assert [r.status for r in org.request_log() if r.path.startswith("/api/v1/")] == [200, 200]
    with app.app_context():
        assert okta_services.api(dpop_org.origin).get(USERS, params={"limit": 1}).status_code == 200


def test_refresh_and_rotation_keep_the_binding(client: FlaskClient, dpop_org: Any, app: Flask) -> None:
    """An expired DPoP access token is refreshed with a proof; the rotated refresh token is stored and
    the new access token works on the API."""
    org = dpop_org.sandbox
    assert connect_okta(client).status_code == 200
    before = _row(app)
    _expire_access_token(app)
    org.clear_request_log()
    with app.app_context():
        assert okta_services.api(dpop_org.origin).get(USERS, params={"limit": 1}).status_code == 200
    after = _row(app)
    assert _token_statuses(org, "refresh_token") and _token_statuses(org, "refresh_token")[-1] == 200
    assert after.refresh_token_ciphertext != before.refresh_token_ciphertext
    assert after.token_type == "DPoP" and after.dpop_key_ciphertext == before.dpop_key_ciphertext


def test_reconnect_starts_with_a_proof(client: FlaskClient, dpop_org: Any, app: Flask) -> None:
    """Once Signet knows the app requires DPoP, a reconnect sends the proof at once (no extra round trip)."""
    org = dpop_org.sandbox
    assert connect_okta(client).status_code == 200
    org.clear_request_log()
    assert connect_okta(client).status_code == 200
    assert 400 not in _token_statuses(org, "authorization_code")[-1:]
    assert "invalid_dpop_proof" not in str([r.form for r in org.request_log()])
    assert _row(app).token_type == "DPoP"


def test_disconnect_revokes_the_bound_grant(client: FlaskClient, dpop_org: Any, app: Flask) -> None:
    """Disconnect revokes the DPoP-bound refresh token (with a proof) and forgets the key."""
    assert connect_okta(client).status_code == 200
    client.post("/setup/okta/disconnect")
    row = _row(app)
    assert row.status == "disconnected" and row.dpop_key_ciphertext is None
    assert "Signet's access was revoked at Okta" in page_text(client.get("/setup/okta"))


def test_dpop_turned_on_after_connecting_asks_for_a_reconnect_naming_the_setting(
    client: FlaskClient, signed_in: AuthActions, sandbox: Any, app: Flask
) -> None:
    """Tokens issued without DPoP can't be refreshed once the app requires it: the connection needs
    reconnecting, and the reason names the app's DPoP setting."""
    org = sandbox.sandbox
    fill_wizard(client, domain=sandbox.origin, client_id=org.default_app.client_id)
    assert connect_okta(client).status_code == 200
    assert _row(app).token_type == "Bearer"
    org.set_dpop_required()
    _expire_access_token(app)
    with app.app_context(), pytest.raises(NeedsReconnectError, match="Demonstrating Proof of Possession"):
        okta_services.tokens.credentials()
    row = _row(app)
    assert row.status == "needs_reconnect" and DPOP_SETTING in (row.status_reason or "")
    assert connect_okta(client).status_code == 200  # reconnecting fixes it
    assert _row(app).token_type == "DPoP"


def test_a_renewed_nonce_is_picked_up_at_the_token_endpoint(
    client: FlaskClient, dpop_org: Any, app: Flask
) -> None:
    """When Okta's nonce has expired, the refresh answers 400 use_dpop_nonce with a new one; Signet
    signs again with it, once, and the refresh goes through."""
    org = dpop_org.sandbox
    assert connect_okta(client).status_code == 200
    org.set_dpop_nonce_policy(rotate_after_seconds=10, valid_for_seconds=20)
    org.clock.advance(30)  # the nonce Signet holds is now expired
    _expire_access_token(app)
    org.clear_request_log()
    with app.app_context():
        assert okta_services.api(dpop_org.origin).get(USERS, params={"limit": 1}).status_code == 200
    assert _token_statuses(org, "refresh_token") == [400, 200]


def test_a_stale_nonce_at_the_api_is_renewed_once(client: FlaskClient, dpop_org: Any, app: Flask) -> None:
    """An API call whose proof carries an expired nonce gets 401 use_dpop_nonce (RFC 9449 §9) with a
    new one; Signet retries once with it."""
    org = dpop_org.sandbox
    assert connect_okta(client).status_code == 200
    org.set_dpop_nonce_policy(rotate_after_seconds=10, valid_for_seconds=20)
    stale = org.dpop_nonce()
    org.clock.advance(30)
    url = httpx.URL(dpop_org.origin + USERS)
    with app.app_context():
        # As if the API had sent this nonce earlier (the sandbox's API sends none on success).
        okta_services.state.transport.nonces.remember(url, httpx.Response(200, headers={"DPoP-Nonce": stale}))
        org.clear_request_log()
        assert okta_services.api(dpop_org.origin).get(USERS, params={"limit": 1}).status_code == 200
    assert [r.status for r in org.request_log() if r.path.startswith("/api/v1/")] == [401, 200]
