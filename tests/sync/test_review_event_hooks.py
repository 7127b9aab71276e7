"""Review: event-hook deliveries of any JSON shape are refused with 400, never a 500 (an authenticated
sender can still send garbage: a bug in Okta, a misconfigured proxy, a leaked secret)."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from tests.sync.test_event_hooks import HOOK, okta_client
from webapp.extensions import db
from webapp.sync import hooks

SECRET = "a-review-secret"


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({"data": {"events": [{"eventType": ["user.lifecycle.create"]}]}}),
        json.dumps({"data": {"events": [{"eventType": {"a": 1}}, {"eventType": 7}]}}),
        "[" * 100_000 + "]" * 100_000,
        '{"data": {"events": ' + "[" * 50_000 + "]" * 50_000 + "}}",
    ],
    ids=["list event type", "object and number event types", "deeply nested", "deeply nested events"],
)
def test_a_delivery_of_odd_json_is_refused_not_a_server_error(app: Flask, body: str) -> None:
    """Event types that are lists or objects, and JSON nested deeper than Python parses, give 400 or
    a 200 naming no event: no sync starts."""
    with app.app_context(), db.session_scope() as session:
        hooks.set_secret(session=session, header_name="Authorization", secret=SECRET)
    started = hooks.hook_syncs.started
    response = okta_client(app).post(
        HOOK, data=body, headers={"Authorization": SECRET, "Content-Type": "application/json"}
    )
    assert response.status_code in {200, 400}, response.status_code
    assert hooks.hook_syncs.wait_idle()
    assert hooks.hook_syncs.started == started
