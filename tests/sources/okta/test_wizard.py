"""The wizard tells the truth: what it saves, which step it shows, and which address names it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import AuthActions
from tests.helpers import page_text, visible_text
from tests.okta_flow import connect_okta, fill_wizard
from webapp.db import utcnow
from webapp.extensions import db
from webapp.sources.okta import store
from webapp.sources.okta.models import ConnectionStatus, OktaConnection
from webapp.sources.okta.wizard import STEP_COUNT, STEPS, WizardStep

A_CLIENT_SECRET = "Zq3xV8pL2mN5bR7tY1uI4oP6aS9dF0gH2jK4lZ6xC8vB"
TEMPLATES = Path(__file__).resolve().parents[3] / "templates"


def _progress(app: Flask) -> Any:
    with app.app_context():
        return store.get_progress(session=db.session)


def test_step_seven_never_keeps_a_client_secret(
    client: FlaskClient, htmx_client: FlaskClient, signed_in: AuthActions, app: Flask
) -> None:
    """A value recognised as a client secret is refused: not stored, not ticked, never shown back."""
    client.post("/setup/okta/steps/7", data={"client_id": "0oa1b2c3d4e5f6g7h8i9"})
    response = client.post("/setup/okta?step=7", data={"client_id": A_CLIENT_SECRET})
    assert response.status_code == 422
    assert "looks like a client secret" in page_text(response)
    live = htmx_client.post("/setup/okta/check-client-id", data={"client_id": A_CLIENT_SECRET})
    assert "looks like a client secret" in page_text(live)
    progress = _progress(app)
    assert progress.client_id_input == "0oa1b2c3d4e5f6g7h8i9"  # the earlier, real Client ID is kept
    for page in (response, live, client.get("/setup/okta?step=7"), client.get("/setup/okta?step=10")):
        assert A_CLIENT_SECRET not in page.get_data(as_text=True)


def test_step_eight_with_an_unknown_client_id_sends_the_admin_back_to_step_seven(
    client: FlaskClient, signed_in: AuthActions, sandbox: Any, app: Flask
) -> None:
    """Okta knows the domain but not the Client ID: step 7 is unticked and shown, with the reason."""
    for number in range(1, 7):
        client.post(f"/setup/okta/steps/{number}")
    client.post("/setup/okta/steps/7", data={"client_id": "0oaUNKNOWNUNKNOWN000"})
    response = client.post("/setup/okta?step=8", data={"domain": sandbox.origin})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/setup/okta?step=7")
    progress = _progress(app)
    assert WizardStep.CLIENT_ID not in progress.completed_steps
    assert WizardStep.DOMAIN in progress.completed_steps
    assert progress.okta_origin == sandbox.origin  # the domain itself was right and is kept
    shown = page_text(client.get(response.headers["Location"]))
    assert 'data-step="7"' in shown and "Okta doesn't know this Client ID" in shown
    fixed = client.post("/setup/okta?step=7", data={"client_id": sandbox.sandbox.default_app.client_id})
    assert fixed.status_code == 303
    assert _progress(app).last_error_code is None  # fixing step 7 clears the problem


def test_every_htmx_answer_pushes_the_address_of_the_step_it_shows(
    htmx_client: FlaskClient, signed_in: AuthActions
) -> None:
    """Moving on, and showing another step after the popup closed, both push `?step=N` of what is shown."""
    moved = htmx_client.post("/setup/okta?step=3")
    assert moved.headers["HX-Push-Url"] == "/setup/okta?step=4"
    assert 'data-step="4"' in page_text(moved)
    resumed = htmx_client.get("/setup/okta")  # what okta_setup.js fetches after the popup
    assert resumed.headers["HX-Push-Url"] == "/setup/okta?step=4"


def test_without_javascript_an_error_keeps_the_steps_address(
    client: FlaskClient, signed_in: AuthActions
) -> None:
    """The step form posts to `/setup/okta?step=N`, so an error page's address still names the step."""
    page = page_text(client.get("/setup/okta?step=8"))
    assert 'action="/setup/okta?step=8"' in page
    response = client.post("/setup/okta?step=8", data={"domain": "no-such-org.invalid"})
    assert response.status_code == 422
    assert 'data-step="8"' in page_text(response)


def test_the_page_title_names_the_step(
    client: FlaskClient, htmx_client: FlaskClient, signed_in: AuthActions
) -> None:
    """Each step's page title says where the admin is; a swapped-in step carries its own title too."""
    for step in STEPS:
        body = page_text(client.get(f"/setup/okta?step={step.number}"))
        assert f"<title>Step {step.number} of {STEP_COUNT}: {step.title} · Signet</title>" in body
    fragment = page_text(htmx_client.get("/setup/okta?step=6"))
    assert f"<title>Step 6 of {STEP_COUNT}: {STEPS[5].title} · Signet</title>" in fragment
    assert "<html" not in fragment


def test_disconnect_unticks_the_connect_step(
    client: FlaskClient, signed_in: AuthActions, sandbox: Any
) -> None:
    """After Disconnect the wizard says 9 of 10 steps done, not 10 of 10."""
    fill_wizard(client, domain=sandbox.origin, client_id=sandbox.sandbox.default_app.client_id)
    for number in range(1, 7):
        client.post(f"/setup/okta/steps/{number}")
    client.post("/setup/okta/steps/9")
    connect_okta(client)
    assert "10 of 10 steps done" in page_text(client.get("/setup/okta?step=1"))
    client.post("/setup/okta/disconnect")
    wizard = page_text(client.get("/setup/okta"))
    assert "9 of 10 steps done" in wizard and 'data-step="10"' in wizard


def _needs_reconnect(app: Flask, reason: str) -> None:
    with app.app_context(), db.session_scope() as session:
        session.add(
            OktaConnection(
                status=ConnectionStatus.NEEDS_RECONNECT,
                status_reason=reason,
                okta_origin="https://dev-123.okta.com",
                client_id="0oa1b2c3d4e5f6g7h8i9",
                connected_at=utcnow(),
            )
        )


def test_a_connection_needing_reconnect_reads_the_same_everywhere(
    client: FlaskClient, signed_in: AuthActions, app: Flask
) -> None:
    """Dashboard, wizard and banner all say 'needs reconnecting' (never 'Connect Okta to get started')."""
    _needs_reconnect(app, "Okta no longer accepts Signet's refresh token.")
    dashboard = visible_text(client.get("/"))
    assert "Connect Okta to get started" not in dashboard
    assert "Okta needs reconnecting" in dashboard and "Reconnect Okta" in dashboard
    assert "refresh token" in dashboard
    wizard = visible_text(client.get("/setup/okta"))
    assert "Needs reconnecting" in wizard and "Connected to" not in wizard
    settings = page_text(client.get("/settings/"))
    assert 'id="okta-reconnect-banner"' in settings


def test_templates_never_retype_statuses_or_step_numbers() -> None:
    """Statuses and step numbers come from Python constants (OktaStatus, WizardStep), not literals."""
    statuses = "|".join(re.escape(status.value) for status in ConnectionStatus)
    status_literal = re.compile(rf"""(==|!=|in)\s*\(?\s*["']({statuses})["']""")
    step_literal = re.compile(r"step\.number\s*(==|!=|in)\s*\(?\s*\d")
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        if status_literal.search(text) or step_literal.search(text):
            offenders.append(str(template.relative_to(TEMPLATES)))
    assert offenders == []


def test_a_local_org_typed_without_http_gets_a_hint_and_a_one_click_fix(
    htmx_client: FlaskClient, signed_in: AuthActions, sandbox: Any
) -> None:
    """`127.0.0.1:PORT` (no scheme) is tried over https; the answer says to type http:// and offers it."""
    typed = sandbox.origin.removeprefix("http://")
    feedback = page_text(htmx_client.post("/setup/okta/check-domain", data={"domain": typed}))
    assert f"type {sandbox.origin} with the http:// in front" in feedback
    assert f'name="domain_suggestion" value="{sandbox.origin}"' in feedback
