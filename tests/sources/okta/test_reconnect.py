"""What connecting costs in Okta calls, and reconnects that fail: against the sandbox over real
HTTP, at 50 calls a minute on the Users and Schemas API (the `sandbox` fixture's limits)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from okta_sandbox import USER_PASSWORD
from tests.conftest import AuthActions
from tests.helpers import page_text
from tests.okta_flow import SandboxTime, connect_okta, fill_wizard, management_api_requests
from webapp.extensions import db
from webapp.sources.okta import store
from webapp.sources.okta.http import RetryPolicy
from webapp.sources.okta.models import OktaConnection
from webapp.sources.okta.problems import NOT_ADMIN_MESSAGE
from webapp.sources.okta.service import okta_services

USERS = "/api/v1/users"


@pytest.fixture
def wizard_filled(client: FlaskClient, signed_in: AuthActions, sandbox: Any, app: Flask) -> Any:
    """The wizard is filled in for the sandbox; Signet's waits move the sandbox clock (no sleeping)."""
    fill_wizard(client, domain=sandbox.origin, client_id=sandbox.sandbox.default_app.client_id)
    with app.app_context():
        okta_services.state.transport.clock = SandboxTime(sandbox.sandbox).clock()
    return sandbox


def _connection(app: Flask) -> OktaConnection:
    with app.app_context():
        connection = store.get_connection(session=db.session)
        assert connection is not None
        return connection


def _problem_code(app: Flask) -> str | None:
    with app.app_context():
        return store.get_progress(session=db.session).last_error_code


def _teammate_login(org: Any) -> str:
    """An ACTIVE Okta user who can sign in but is not an admin."""
    users = org.list_users(filter='status eq "ACTIVE"')
    return next(u["profile"]["login"] for u in users if u["profile"]["login"] != org.admin_login)


def _still_works(app: Flask, origin: str) -> None:
    with app.app_context():
        assert okta_services.api(origin).get(USERS, params={"limit": 1}).status_code == 200


def test_connecting_costs_at_most_three_management_api_calls(
    client: FlaskClient, wizard_filled: Any, app: Flask
) -> None:
    """At 50 calls a minute on users and schemas, connecting makes two Management API calls (one user
    listed, the schema), with no count of users, and nothing is refused."""
    org = wizard_filled.sandbox
    assert {org.rate_limits()[b] for b in ("users_list", "users_get", "schemas")} == {50}
    org.clear_request_log()
    assert connect_okta(client).status_code == 200
    calls = management_api_requests(org)
    assert len(calls) <= 3
    assert [(r.path, r.query.get("limit")) for r in calls] == [
        (USERS, "1"),
        ("/api/v1/meta/schemas/user/default", None),
    ]
    assert all(r.status != 429 for r in org.request_log())


def test_reconnect_as_a_non_admin_keeps_the_working_connection(
    client: FlaskClient, wizard_filled: Any, app: Flask
) -> None:
    """Reconnecting as an Okta user who isn't an admin (Okta: 403 E0000006) says to sign in as an
    admin; the old grant keeps working and the connection stays connected."""
    org = wizard_filled.sandbox
    assert connect_okta(client).status_code == 200
    before = _connection(app)
    callback = connect_okta(client, login=_teammate_login(org), password=USER_PASSWORD)
    assert callback.status_code == 400
    assert NOT_ADMIN_MESSAGE in page_text(callback)
    assert _problem_code(app) == "not_admin"
    after = _connection(app)
    assert after.status == "connected"
    assert after.token_version == before.token_version
    assert after.refresh_token_ciphertext == before.refresh_token_ciphertext
    assert after.connected_by_login == org.admin_login
    assert org.count_requests(path="/oauth2/v1/revoke") == 1  # the unverified grant, not the old one
    _still_works(app, wizard_filled.origin)


def test_reconnect_that_fails_its_check_keeps_the_old_grant(
    client: FlaskClient, wizard_filled: Any, app: Flask
) -> None:
    """If Okta errors while the new grant is checked, the stored grant is untouched and still works."""
    org = wizard_filled.sandbox
    assert connect_okta(client).status_code == 200
    before = _connection(app)
    org.inject_fault("http_error", status=500, count=3, path_prefix=USERS)
    callback = connect_okta(client)
    assert callback.status_code == 400
    assert _problem_code(app) == "verify_failed"
    after = _connection(app)
    assert (after.status, after.token_version) == ("connected", before.token_version)
    _still_works(app, wizard_filled.origin)


def test_successful_reconnect_replaces_and_revokes_the_old_grant(
    client: FlaskClient, wizard_filled: Any, app: Flask
) -> None:
    """A reconnect that checks out replaces the grant, and the old refresh token is revoked at Okta."""
    org = wizard_filled.sandbox
    assert connect_okta(client).status_code == 200
    before = _connection(app)
    assert connect_okta(client).status_code == 200
    after = _connection(app)
    assert after.token_version > before.token_version
    assert after.refresh_token_ciphertext != before.refresh_token_ciphertext
    assert org.count_requests(path="/oauth2/v1/revoke") == 1
    _still_works(app, wizard_filled.origin)


def test_a_429_during_connect_is_waited_out(client: FlaskClient, wizard_filled: Any, app: Flask) -> None:
    """One 429 while checking the new grant: Signet waits for the reset (here within a budget long
    enough for any window) and connects."""
    org = wizard_filled.sandbox
    with app.app_context():
        okta_services.state.transport.policy = RetryPolicy(max_wait=120)
    org.inject_fault("rate_limit", path_prefix=USERS)
    assert connect_okta(client).status_code == 200
    assert [r.status for r in management_api_requests(org)][:2] == [429, 200]


def test_a_long_rate_limit_during_connect_says_when_to_try_again(
    client: FlaskClient, wizard_filled: Any, app: Flask
) -> None:
    """When Okta keeps answering 429 longer than a page may wait, the admin is told to try again."""
    org = wizard_filled.sandbox
    org.inject_fault("rate_limit", count=30, path_prefix=USERS)
    callback = connect_okta(client)
    assert callback.status_code == 400
    assert _problem_code(app) == "rate_limited"
    assert "Try again" in page_text(callback)


def test_the_code_exchange_is_retried_after_a_server_error(
    client: FlaskClient, wizard_filled: Any, app: Flask
) -> None:
    """Token requests go through the same transport as API calls: a 503 on the code exchange is
    retried. (The wizard's live checks, here the Client ID probe, deliberately are not: max_wait=0.)"""
    org = wizard_filled.sandbox
    org.clear_request_log()
    org.inject_fault("http_error", status=503, count=2, path_prefix="/oauth2/v1/token")
    assert connect_okta(client).status_code == 200
    token_statuses = [r.status for r in org.request_log() if r.path == "/oauth2/v1/token"]
    assert token_statuses == [503, 503, 200]  # the probe's 503 (ignored), the exchange's 503, ok
