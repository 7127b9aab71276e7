"""Okta event hooks: the verification challenge, refused deliveries (forged, unsigned, malformed:
nothing synced), a genuine event starting exactly one incremental sync, debounced bursts, the secret
encrypted and shown once, and the Sync page section (page and fragment)."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests import factories
from tests.conftest import LiveServer, SignetTestClient
from tests.helpers import page_text
from tests.okta_flow import connect_okta, fill_wizard
from tests.sync.conftest import Connected
from tests.sync.helpers import ok, teammate_of, user_id
from webapp.audit.models import AuditEvent
from webapp.extensions import db
from webapp.sync import hooks
from webapp.sync.hooks import CHALLENGE_HEADER, hook_syncs
from webapp.sync.models import OktaEventHook, SyncKind, SyncRun, SyncTrigger

SECRET_FIELD = re.compile(r'id="event-hook-secret" type="text" readonly value="([^"]+)"')
HOOK = "/hooks/okta"


def okta_body(*event_types: str, target: str = "00u0000000000000000") -> dict[str, Any]:
    """A delivery shaped like Okta's (concepts/event-hooks, "Event delivery"), one event per type,
    each with a new System Log `uuid` (Signet ignores events it has seen: send the same body to replay)."""
    events = [
        {
            "uuid": str(uuid.uuid4()),
            "published": "2026-11-28T20:00:00.000Z",
            "eventType": kind,
            "version": "0",
            "displayMessage": "A change",
            "target": [{"id": target, "type": "User", "alternateId": "x@acme.example", "displayName": "X"}],
        }
        for kind in event_types
    ]
    return {
        "eventType": "com.okta.event_hook",
        "eventTypeVersion": "1.0",
        "cloudEventsVersion": "0.1",
        "source": "https://acme.okta.com/api/v1/eventHooks/who000",
        "eventId": "event-1",
        "eventTime": "2026-11-28T20:00:01.000Z",
        "contentType": "application/json",
        "data": {"events": events},
    }


def okta_client(app: Flask) -> FlaskClient:
    """A client like Okta: no cookies, no CSRF token, no admin session."""
    return FlaskClient(app, app.response_class, use_cookies=False)


def generate_secret(client: FlaskClient, header: str = "Authorization") -> str:
    """Generate the secret on the Sync page and return it (read from the one response showing it)."""
    response = client.post("/sync/event-hook/secret", data={"header_name": header})
    assert response.status_code == 200, page_text(response)
    match = SECRET_FIELD.search(response.get_data(as_text=True))
    assert match
    return match.group(1)


def runs(app: Flask) -> list[SyncRun]:
    """Every sync run, oldest first."""
    with app.app_context(), db.session_scope(writer=False) as session:
        return list(session.exec(select(SyncRun).order_by(SyncRun.id)).all())  # type: ignore[arg-type]


def hook_row(app: Flask) -> OktaEventHook:
    """The stored event hook configuration."""
    with app.app_context(), db.session_scope(writer=False) as session:
        hook = session.get(OktaEventHook, hooks.HOOK_ID)
        assert hook is not None
        return hook


@pytest.fixture(autouse=True)
def _idle() -> Iterator[None]:
    """No event-hook sync outlives its test."""
    yield
    assert hook_syncs.wait_idle(60)


@pytest.fixture
def synced(connected: Connected) -> Connected:
    """Connected and fully synced once; event syncs start 0.2 s after the last event."""
    connected.app.config["EVENT_HOOK_DEBOUNCE_SECONDS"] = 0.2
    ok(connected.app, SyncKind.FULL)
    return connected


def test_challenge_echoed_only_while_on(app: Flask, client: FlaskClient, signed_in: Any) -> None:
    """The verification GET is echoed as {"verification": ...} only while the hook is on; 404 before
    a secret exists, without a challenge, and once turned off."""
    okta = okta_client(app)
    assert okta.get(HOOK, headers={CHALLENGE_HEADER: "abc"}).status_code == 404
    generate_secret(client)
    answer = okta.get(HOOK, headers={CHALLENGE_HEADER: "c2VjcmV0LWNoYWxsZW5nZQ"})
    assert answer.status_code == 200 and answer.get_json() == {"verification": "c2VjcmV0LWNoYWxsZW5nZQ"}
    assert okta.get(HOOK).status_code == 404
    assert okta.head(HOOK, headers={CHALLENGE_HEADER: "abc"}).status_code == 200
    assert client.post("/sync/event-hook/enabled", data={"enabled": "off"}).status_code == 303
    assert okta.get(HOOK, headers={CHALLENGE_HEADER: "abc"}).status_code == 404
    assert okta.post(HOOK, json=okta_body("user.lifecycle.create")).status_code == 404
    assert hook_row(app).refused_count == 0 and hook_row(app).accepted_count == 0


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({"Authorization": "forged-secret"}, json.dumps(okta_body("user.account.update_profile")), 401),
        ({}, json.dumps(okta_body("user.account.update_profile")), 401),
        ({"Authorization": "SECRET"}, "{not json", 400),
        ({"Authorization": "SECRET"}, json.dumps({"data": {"events": "nope"}}), 400),
        ({"Authorization": "SECRET"}, json.dumps([1, 2]), 400),
        ({"Authorization": "SECRET"}, "x" * (hooks.MAX_BODY_BYTES + 1), 413),
    ],
    ids=["forged", "unsigned", "malformed", "no events list", "not an object", "too large"],
)
def test_refused_deliveries_sync_nothing(
    synced: Connected, client: FlaskClient, headers: dict[str, str], body: str, status: int
) -> None:
    """A forged, unsigned, malformed or oversized delivery is refused, counted, and syncs nothing."""
    secret = generate_secret(client)
    before = runs(synced.app)
    sent = {name: value.replace("SECRET", secret) for name, value in headers.items()}
    response = okta_client(synced.app).post(HOOK, data=body, headers=sent, content_type="application/json")
    assert response.status_code == status
    assert hook_syncs.wait_idle(30)
    assert runs(synced.app) == before
    hook = hook_row(synced.app)
    assert (hook.accepted_count, hook.refused_count, hook.last_event_at) == (0, 1, None)


def test_genuine_event_runs_exactly_one_incremental_sync(synced: Connected, client: FlaskClient) -> None:
    """An authentic profile-update event: 200 at once, then one incremental sync that applies the
    change Okta's API reports (not the event body, which names no values)."""
    app, org = synced.app, synced.org
    secret = generate_secret(client)
    target = user_id(org, 4)
    org.update_user(target, profile={"title": "Chief Hook Officer"})
    before = len(runs(app))
    body = okta_body("user.account.update_profile", target=target)
    response = okta_client(app).post(HOOK, json=body, headers={"Authorization": secret})
    assert response.status_code == 200 and response.get_data() == b""
    assert hook_syncs.wait_idle(30)
    new = runs(app)[before:]
    assert [(run.kind, run.trigger, run.error) for run in new] == [
        (SyncKind.INCREMENTAL, SyncTrigger.EVENT_HOOK, None)
    ]
    assert new[0].updated == 1
    assert teammate_of(app, target)[1].profile["title"] == "Chief Hook Officer"
    hook = hook_row(app)
    assert (hook.accepted_count, hook.refused_count) == (1, 0)
    assert hook.last_event_at is not None and hook.last_event_types == ["user.account.update_profile"]
    assert "Okta event hook" in page_text(client.get("/sync/history"))


def test_custom_header_name(synced: Connected, client: FlaskClient) -> None:
    """The header name the admin chose is the one checked; the secret in another header is refused."""
    secret = generate_secret(client, header="X-Signet-Secret")
    okta = okta_client(synced.app)
    body = okta_body("user.lifecycle.create")
    assert okta.post(HOOK, json=body, headers={"Authorization": secret}).status_code == 401
    assert okta.post(HOOK, json=body, headers={"x-signet-secret": secret}).status_code == 200
    assert hook_syncs.wait_idle(30)
    assert [run.trigger for run in runs(synced.app)][-1] == SyncTrigger.EVENT_HOOK


def test_irrelevant_events_are_accepted_but_sync_nothing(synced: Connected, client: FlaskClient) -> None:
    """Sign-ins and group changes are acknowledged (Okta must not retry) and start no sync."""
    secret = generate_secret(client)
    before = runs(synced.app)
    body = okta_body("user.session.start", "group.user_membership.add")
    response = okta_client(synced.app).post(HOOK, json=body, headers={"Authorization": secret})
    assert response.status_code == 200
    assert hook_syncs.wait_idle(30)
    assert runs(synced.app) == before
    assert hook_row(synced.app).last_event_types == ["group.user_membership.add", "user.session.start"]


def test_a_burst_of_events_costs_one_sync(synced: Connected, client: FlaskClient) -> None:
    """Five deliveries in a row (well inside the debounce) start a single incremental sync."""
    synced.app.config["EVENT_HOOK_DEBOUNCE_SECONDS"] = 1.0
    secret = generate_secret(client)
    okta = okta_client(synced.app)
    before = len(runs(synced.app))
    for kind in ["user.lifecycle.create", "user.account.update_profile"] * 2 + ["user.lifecycle.suspend"]:
        assert okta.post(HOOK, json=okta_body(kind), headers={"Authorization": secret}).status_code == 200
    assert hook_syncs.wait_idle(30)
    assert [run.trigger for run in runs(synced.app)[before:]] == [SyncTrigger.EVENT_HOOK]
    assert hook_row(synced.app).accepted_count == 5


def test_secret_encrypted_shown_once_never_logged(
    app: Flask,
    client: FlaskClient,
    htmx_client: FlaskClient,
    signed_in: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The secret is stored encrypted, appears only in the response that generated it, never in the
    audit trail or the logs, and rotating replaces it (the old one is refused)."""
    caplog.set_level(logging.DEBUG)
    secret = generate_secret(client)
    stored = hook_row(app).secret_encrypted
    assert stored and secret not in stored
    assert secret not in client.get("/sync/").get_data(as_text=True)
    assert secret not in htmx_client.get("/sync/event-hook").get_data(as_text=True)
    okta = okta_client(app)
    assert (
        okta.post(
            HOOK, json=okta_body("user.session.start"), headers={"Authorization": "forged-4f2a"}
        ).status_code
        == 401
    )
    assert (
        okta.post(HOOK, json=okta_body("user.session.start"), headers={"Authorization": secret}).status_code
        == 200
    )
    rotated = htmx_client.post("/sync/event-hook/secret", data={"header_name": "Authorization"})
    match = SECRET_FIELD.search(rotated.get_data(as_text=True))
    assert rotated.status_code == 200 and match and match.group(1) != secret
    assert rotated.headers["Cache-Control"] == "no-store"
    assert (
        okta.post(HOOK, json=okta_body("user.session.start"), headers={"Authorization": secret}).status_code
        == 401
    )
    with app.app_context(), db.session_scope(writer=False) as session:
        trail = session.exec(select(AuditEvent)).all()
    actions = [event.action for event in trail]
    assert "sync.event_hook_secret_generated" in actions and "sync.event_hook_secret_rotated" in actions
    for text in [event.summary for event in trail] + [record.getMessage() for record in caplog.records]:
        assert secret not in text and match.group(1) not in text and "forged-4f2a" not in text


def test_sync_page_section_page_and_fragment(
    app: Flask, client: FlaskClient, htmx_client: FlaskClient, signed_in: Any
) -> None:
    """The Sync page explains the setup (endpoint URL, header, every event type, polling stays on);
    the fragment is the section alone; the loopback BASE_URL is flagged as unreachable for Okta."""
    page = client.get("/sync/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="event-hook"' in text and "<title>" in text
    assert "http://127.0.0.1:8000/hooks/okta" in text and "Not set up" in text
    assert all(kind in text for kind in hooks.SYNC_EVENT_TYPES)
    assert "safety net" in text and 'id="event-hook-url-warning"' in text
    fragment = htmx_client.get("/sync/event-hook")
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and body.lstrip().startswith('<section id="event-hook"')
    assert "<html" not in body
    generate_secret(client)
    okta = okta_client(app)
    okta.post(HOOK, json=okta_body("user.lifecycle.create"), headers={"Authorization": "forged"})
    shown = page_text(htmx_client.get("/sync/event-hook"))
    assert "0 accepted, 1 refused" in shown and "Rotate secret" in shown and "Turn event hook off" in shown


def test_bad_header_name_is_refused_with_the_value_kept(
    client: FlaskClient, htmx_client: FlaskClient, signed_in: Any
) -> None:
    """A header name that is not an HTTP token: 422, a message next to the field, the value kept,
    nothing stored; turning on before any secret exists is a 409; an unknown choice a 422."""
    response = htmx_client.post("/sync/event-hook/secret", data={"header_name": "Bad Header:"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="event-hook-error"' in text and 'value="Bad Header:"' in text
    assert "Not set up" in text
    refused = client.post("/sync/event-hook/enabled", data={"enabled": "on"})
    assert refused.status_code == 409 and "Generate a secret first" in page_text(refused)
    generate_secret(client)
    unknown = htmx_client.post("/sync/event-hook/enabled", data={"enabled": "maybe"})
    assert unknown.status_code == 422 and "turn the event hook on or off" in page_text(unknown)


def test_end_to_end_with_the_sandbox_over_http(live_server: LiveServer, sandbox: Any) -> None:
    """Over real HTTP: Okta (the sandbox) verifies the hook against a running Signet, a title change
    in Okta is delivered as an event, and the event's incremental sync updates the teammate."""
    app, org = live_server.app, sandbox.sandbox
    org.event_hook_batch_seconds = 0.2
    org.update_app(org.default_app.client_id, redirect_uris=[live_server.url + "/callbacks/okta"])
    with app.app_context(), db.session_scope() as session:
        factories.gen_admin(session)
    app.test_client_class = SignetTestClient
    client = app.test_client()
    login = {"email": factories.ADMIN_EMAIL, "password": factories.ADMIN_PASSWORD}
    assert client.post("/login", data=login).status_code == 303
    fill_wizard(client, domain=sandbox.origin, client_id=org.default_app.client_id)
    assert connect_okta(client).status_code == 200
    ok(app, SyncKind.FULL)
    secret = generate_secret(client)
    created = org.create_event_hook(
        name="Signet", uri=live_server.url + HOOK, events=list(hooks.SYNC_EVENT_TYPES), auth_value=secret
    )
    assert org.verify_event_hook(created["id"])["verificationStatus"] == "VERIFIED"
    target = user_id(org, 2)
    org.update_user(target, profile={"title": "Head of Event Hooks"})
    deadline = time.monotonic() + 60
    while teammate_of(app, target)[1].profile.get("title") != "Head of Event Hooks":
        assert time.monotonic() < deadline, "the event's sync never updated the teammate"
        time.sleep(0.1)
    assert hook_syncs.wait_idle(30)
    assert runs(app)[-1].trigger == SyncTrigger.EVENT_HOOK
    assert [delivery.delivered for delivery in org.event_hook_deliveries()] == [True]
    assert hook_row(app).last_event_types == ["user.account.update_profile"]
