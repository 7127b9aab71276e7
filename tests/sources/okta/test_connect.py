"""The setup wizard and "Connect Okta", end to end against the sandbox over real HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests.conftest import AuthActions
from tests.helpers import page_text, visible_text
from tests.okta_flow import connect_okta, drive_okta, fill_wizard, management_api_requests
from webapp.audit.models import AuditEvent
from webapp.db import utcnow
from webapp.extensions import db
from webapp.sources.okta import store
from webapp.sources.okta.models import OAuthAttempt, OktaConnection


@pytest.fixture
def wizard_filled(client: FlaskClient, signed_in: AuthActions, sandbox: Any) -> Any:
    """An admin is signed in and has typed the sandbox's domain and Client ID into the wizard."""
    fill_wizard(client, domain=sandbox.origin, client_id=sandbox.sandbox.default_app.client_id)
    return sandbox


def _connection(app: Flask) -> OktaConnection | None:
    with app.app_context():
        return store.get_connection(session=db.session)


def _problem(app: Flask) -> tuple[str | None, int | None]:
    with app.app_context():
        progress = store.get_progress(session=db.session)
        return progress.last_error_code, progress.last_error_step


def test_wizard_starts_at_step_one_and_resumes_where_left(
    client: FlaskClient, signed_in: AuthActions
) -> None:
    """The wizard shows step 1 first; after some steps a reload resumes at the next one, typed values kept."""
    first = page_text(client.get("/setup/okta"))
    assert "Open your Okta admin console" in first and "Menu › Applications › Applications" in first
    for number in range(1, 7):
        assert client.post(f"/setup/okta/steps/{number}").status_code == 303
    client.post("/setup/okta/steps/7", data={"client_id": " 0oa1b2c3d4e5f6g7h8i9 "})
    resumed = page_text(client.get("/setup/okta"))
    assert "Paste your Okta domain" in resumed
    assert "7 of 10 steps done" in resumed
    step7 = page_text(client.get("/setup/okta?step=7"))
    assert 'value="0oa1b2c3d4e5f6g7h8i9"' in step7


def test_step_five_shows_signets_own_redirect_uri(client: FlaskClient, signed_in: AuthActions) -> None:
    """Step 5 shows {BASE_URL}/callbacks/okta to copy, and warns when the browser's origin differs."""
    body = page_text(client.get("/setup/okta?step=5"))
    assert 'value="http://127.0.0.1:8000/callbacks/okta"' in body
    assert 'data-copy-target="#redirect-uri"' in body
    assert "its BASE_URL says" in body  # the test client's origin is http://localhost
    same_origin = page_text(client.get("/setup/okta?step=5", base_url="http://127.0.0.1:8000"))
    assert "its BASE_URL says" not in same_origin


def test_live_domain_check_is_a_fragment_and_keeps_the_draft(
    htmx_client: FlaskClient, client: FlaskClient, signed_in: AuthActions, app: Flask
) -> None:
    """The as-you-type check answers with the feedback fragment and saves what was typed."""
    response = htmx_client.post("/setup/okta/check-domain", data={"domain": "dev-123-admin.okta.com"})
    body = page_text(response)
    assert body.lstrip().startswith('<div id="domain-feedback"')
    assert "Use dev-123.okta.com" in body
    with app.app_context():
        assert store.get_progress(session=db.session).domain_input == "dev-123-admin.okta.com"
    assert 'value="dev-123-admin.okta.com"' in page_text(client.get("/setup/okta?step=8"))


def test_saving_an_unreachable_domain_keeps_it_and_says_why(
    client: FlaskClient, signed_in: AuthActions
) -> None:
    """A domain that fails the live check is refused with its reason, and stays in the field."""
    response = client.post("/setup/okta/steps/8", data={"domain": "no-such-org.invalid"})
    assert response.status_code == 422
    body = page_text(response)
    assert "does not exist (DNS lookup failed)" in body
    assert 'value="no-such-org.invalid"' in body


def test_step_eight_flags_an_unknown_client_id(
    client: FlaskClient, signed_in: AuthActions, sandbox: Any
) -> None:
    """When the domain checks out but Okta doesn't know the Client ID from step 7, the admin is told."""
    client.post("/setup/okta/steps/7", data={"client_id": "0oaUNKNOWNUNKNOWN000"})
    client.post("/setup/okta/steps/8", data={"domain": sandbox.origin})
    body = page_text(client.get("/setup/okta?step=9"))
    assert "Okta doesn't know this Client ID" in body


def test_connect_end_to_end(client: FlaskClient, wizard_filled: Any, app: Flask) -> None:
    """Allow in Okta: tokens stored, verified live; the wizard shows who connected (users are
    counted by the first sync, not here)."""
    callback = connect_okta(client)
    assert callback.status_code == 200
    assert 'data-outcome="connected"' in page_text(callback)
    connection = _connection(app)
    assert connection is not None and connection.status == "connected"
    assert connection.connected_by_login == wizard_filled.sandbox.admin_login
    assert connection.user_count is None and connection.last_verified_at is not None
    assert connection.token_type == "Bearer" and connection.dpop_key_ciphertext is None
    assert "okta.users.read" in connection.scopes and "okta.schemas.read" in connection.scopes
    page = visible_text(client.get("/setup/okta"))
    host = wizard_filled.origin.split("://", 1)[1]
    assert f"Connected to {host} by {wizard_filled.sandbox.admin_login}." in page
    assert "Choose smart fields" in page and "Run the first sync" in page
    with app.app_context():
        actions = [e.action for e in db.session.exec(select(AuditEvent)).all()]
    assert "okta.connected" in actions
    # The verification really happened over HTTP: one users call and the schema.
    org = wizard_filled.sandbox
    assert org.count_requests(path="/api/v1/meta/schemas/user/default") == 1
    assert org.count_requests(path="/api/v1/users") == 1


def test_authorize_request_uses_pkce_state_and_nonce(client: FlaskClient, wizard_filled: Any) -> None:
    """The redirect to Okta carries the registered redirect URI, all four scopes, state, nonce and S256."""
    from urllib.parse import parse_qs, urlsplit

    start = client.get("/setup/okta/connect")
    params = {k: v[0] for k, v in parse_qs(urlsplit(start.headers["Location"]).query).items()}
    assert params["response_type"] == "code"
    assert params["redirect_uri"] == "http://127.0.0.1:8000/callbacks/okta"
    assert params["scope"] == "openid offline_access okta.users.read okta.schemas.read"
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert len(params["state"]) >= 32 and params["nonce"]
    assert start.headers["Location"].startswith(wizard_filled.origin + "/oauth2/v1/authorize?")


def test_deny_points_at_assignments(client: FlaskClient, wizard_filled: Any, app: Flask) -> None:
    """Clicking Deny lands on access_denied, pointing at step 6, with nothing typed lost."""
    callback = connect_okta(client, decision="deny")
    assert callback.status_code == 400
    assert "access was denied" in page_text(callback)
    assert _problem(app) == ("access_denied", 6)
    wizard = page_text(client.get("/setup/okta"))
    assert "access was denied" in wizard
    assert wizard_filled.sandbox.default_app.client_id in page_text(client.get("/setup/okta?step=7"))
    assert _connection(app) is None


def test_unassigned_user_points_at_assignments(client: FlaskClient, wizard_filled: Any, app: Flask) -> None:
    """A user not assigned to the app gets the step 6 message about assignments."""
    org = wizard_filled.sandbox
    org.update_app(org.default_app.client_id, assign_everyone=False, assigned_logins=set())
    callback = connect_okta(client)
    assert "not assigned to the Signet app" in page_text(callback)
    assert _problem(app) == ("not_assigned", 6)


def test_scope_not_granted_points_at_step_nine(client: FlaskClient, wizard_filled: Any, app: Flask) -> None:
    """An okta.* scope not granted to the app points at step 9 (Okta API Scopes)."""
    org = wizard_filled.sandbox
    org.update_app(org.default_app.client_id, granted_scopes=frozenset({"okta.users.read"}))
    callback = connect_okta(client)
    assert "okta.users.read and okta.schemas.read" in page_text(callback)
    assert _problem(app) == ("invalid_scope", 9)


def test_wrong_client_id_points_at_step_seven(
    client: FlaskClient, signed_in: AuthActions, sandbox: Any, app: Flask
) -> None:
    """An unknown Client ID is caught before Okta's page (which can't redirect back) and points at step 7."""
    fill_wizard(client, domain=sandbox.origin, client_id="0oaUNKNOWNUNKNOWN000")
    start = client.get("/setup/okta/connect")
    assert start.status_code == 400
    assert "Okta doesn't know this Client ID" in page_text(start)
    assert _problem(app) == ("invalid_client", 7)


def test_tampered_state_is_refused(client: FlaskClient, wizard_filled: Any, app: Flask) -> None:
    """A callback whose state matches no attempt is refused (start again); nothing is stored."""
    start = client.get("/setup/okta/connect")
    outcome = drive_okta(start.headers["Location"])
    tampered = outcome.path_and_query.replace("state=", "state=x")
    response = client.get(tampered)
    assert response.status_code == 400
    assert "doesn't match a connection Signet started" in page_text(response)
    assert _problem(app) == ("state_mismatch", 10)
    assert _connection(app) is None


def test_callback_replay_is_refused(client: FlaskClient, wizard_filled: Any, app: Flask) -> None:
    """The same callback URL used twice works once only."""
    start = client.get("/setup/okta/connect")
    outcome = drive_okta(start.headers["Location"])
    assert client.get(outcome.path_and_query).status_code == 200
    assert client.get(outcome.path_and_query).status_code == 400


def test_expired_attempt_asks_to_start_again(client: FlaskClient, wizard_filled: Any, app: Flask) -> None:
    """An attempt older than ten minutes is refused with a start-again message."""
    start = client.get("/setup/okta/connect")
    outcome = drive_okta(start.headers["Location"])
    with app.app_context(), db.session_scope() as session:
        attempt = session.exec(select(OAuthAttempt)).one()
        attempt.expires_at = utcnow() - timedelta(seconds=1)
        session.add(attempt)
    response = client.get(outcome.path_and_query)
    assert "attempt expired" in page_text(response)
    assert _problem(app)[0] == "attempt_expired"


def test_callback_from_another_admin_is_refused(
    client: FlaskClient, wizard_filled: Any, app: Flask, auth: AuthActions
) -> None:
    """A callback started by one admin can't be completed in another admin's session."""
    start = client.get("/setup/okta/connect")
    outcome = drive_okta(start.headers["Location"])
    auth.logout()
    auth.create_admin(email="bob@acme.example")
    auth.login(email="bob@acme.example")
    assert client.get(outcome.path_and_query).status_code == 400
    assert _connection(app) is None


def test_okta_unreachable_at_connect(client: FlaskClient, wizard_filled: Any, app: Flask) -> None:
    """If Okta is down when Connect is clicked, the message says so and points at the domain."""
    wizard_filled.stop()
    response = client.get("/setup/okta/connect")
    assert response.status_code == 400
    assert "could not connect" in page_text(response)
    assert _problem(app)[0] == "okta_unreachable"


def test_popup_closed_without_callback_points_at_redirect_uri(
    client: FlaskClient, htmx_client: FlaskClient, wizard_filled: Any, app: Flask
) -> None:
    """When the Okta window closes with no callback, the wizard blames the redirect URI (step 5)."""
    assert client.get("/setup/okta/connect").status_code == 302  # started, Okta never calls back
    response = htmx_client.post("/setup/okta/popup-closed")
    assert response.status_code == 200
    body = page_text(response)
    assert body.lstrip().startswith('<div id="okta-wizard"')
    assert "check the Sign-in redirect URI in step 5" in body
    assert _problem(app) == ("popup_closed", 5)


def test_popup_closed_after_a_callback_keeps_its_specific_problem(
    client: FlaskClient, htmx_client: FlaskClient, wizard_filled: Any, app: Flask
) -> None:
    """If Okta did call back (here: Deny), a late 'window closed' report doesn't replace that message."""
    connect_okta(client, decision="deny")
    htmx_client.post("/setup/okta/popup-closed")
    assert _problem(app) == ("access_denied", 6)


def test_unregistered_redirect_uri_shows_okta_error_page(client: FlaskClient, wizard_filled: Any) -> None:
    """Okta shows its own error (no redirect back) when Signet's redirect URI is not registered."""
    org = wizard_filled.sandbox
    org.update_app(org.default_app.client_id, redirect_uris=["https://elsewhere.example/cb"])
    start = client.get("/setup/okta/connect")
    outcome = drive_okta(start.headers["Location"])
    assert outcome.location is None and "redirect_uri" in (outcome.error_page or "")


def test_disconnect_revokes_and_keeps_data(client: FlaskClient, wizard_filled: Any, app: Flask) -> None:
    """Disconnect revokes the refresh token at Okta, deletes stored tokens and says data is kept."""
    connect_okta(client)
    org = wizard_filled.sandbox
    response = client.post("/setup/okta/disconnect")
    assert response.status_code == 303
    connection = _connection(app)
    assert connection is not None and connection.status == "disconnected"
    assert connection.refresh_token_ciphertext is None and connection.access_token_ciphertext is None
    assert org.count_requests(path="/oauth2/v1/revoke") == 1
    page = page_text(client.get("/setup/okta"))
    assert "Signet's access was revoked at Okta" in page
    assert "already synced are kept" in page


def test_reconnect_after_disconnect(client: FlaskClient, wizard_filled: Any, app: Flask) -> None:
    """After a disconnect, connecting again works and shows the connected state."""
    connect_okta(client)
    client.post("/setup/okta/disconnect")
    assert connect_okta(client).status_code == 200
    assert _connection(app).status == "connected"  # type: ignore[union-attr]


def test_check_again_reads_okta_twice_and_records_when(
    client: FlaskClient, wizard_filled: Any, app: Flask
) -> None:
    """'Check again' lists one user and reads the schema (two calls), then records the time."""
    connect_okta(client)
    org = wizard_filled.sandbox
    before = _connection(app).last_verified_at  # type: ignore[union-attr]
    org.clear_request_log()
    assert client.post("/setup/okta/verify").status_code == 303
    assert [r.path for r in management_api_requests(org)] == [
        "/api/v1/users",
        "/api/v1/meta/schemas/user/default",
    ]
    after = _connection(app).last_verified_at  # type: ignore[union-attr]
    assert before is not None and after is not None and after > before


def test_dashboard_follows_the_connection(client: FlaskClient, wizard_filled: Any) -> None:
    """The dashboard says 'Connect Okta to get started' until connected, then shows the org and next steps."""
    assert "Connect Okta to get started" in page_text(client.get("/"))
    connect_okta(client)
    dashboard = page_text(client.get("/"))
    assert "Connect Okta to get started" not in dashboard
    assert "Okta connected" in dashboard and "Run the first sync" in dashboard


def test_admin_console_suggestion_is_applied(client: FlaskClient, signed_in: AuthActions) -> None:
    """The 'Use dev-123.okta.com' button saves the suggested domain, not the typed one."""
    response = client.post(
        "/setup/okta/steps/8",
        data={"domain": "dev-123-admin.okta.com", "domain_suggestion": "dev-123.okta.com"},
    )
    assert 'value="dev-123.okta.com"' in page_text(response)


def test_connect_refuses_cross_site_requests(client: FlaskClient, wizard_filled: Any, app: Flask) -> None:
    """Another site can't start a connection in the admin's browser (Sec-Fetch-Site: cross-site)."""
    response = client.get("/setup/okta/connect", headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 400
    assert "Start the connection from Signet's Setup page." in page_text(response)
    with app.app_context():
        assert db.session.exec(select(OAuthAttempt)).all() == []
    same_site = client.get("/setup/okta/connect", headers={"Sec-Fetch-Site": "same-origin"})
    assert same_site.status_code == 302


def test_connect_step_is_only_done_by_connecting(
    client: FlaskClient, signed_in: AuthActions, app: Flask
) -> None:
    """Posting the step 10 form does not mark it done; only a working connection does."""
    client.post("/setup/okta/steps/10")
    with app.app_context():
        assert 10 not in store.get_progress(session=db.session).completed_steps
