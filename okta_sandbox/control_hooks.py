"""``/__sandbox/event-hooks``: register, verify and inspect event hooks over HTTP (tests, demos,
benchmarks in another process). Bodies use Okta's ``EventHook`` JSON (see
:mod:`okta_sandbox.event_hooks`); the Management API's ``/api/v1/eventHooks`` is not emulated.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, jsonify, request

from okta_sandbox.errors import ApiError
from okta_sandbox.http_util import json_body as body
from okta_sandbox.http_util import sandbox_of

bp = Blueprint("sandbox_event_hooks", __name__, url_prefix="/event-hooks")


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _invalid(message: str) -> ApiError:
    return ApiError(400, "E0000001", "Api validation failed: eventHook", causes=[message])


def parse_hook_body(body: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments of ``OktaSandbox.create_event_hook`` from Okta's ``EventHook``
    JSON; ``ApiError(400)`` when a required part is missing."""
    channel = _object(body.get("channel"))
    config = _object(channel.get("config"))
    items = _object(body.get("events")).get("items")
    name, uri = body.get("name"), config.get("uri")
    if not isinstance(name, str) or not name:
        raise _invalid("name: The field cannot be left blank.")
    if not isinstance(uri, str) or not uri.startswith(("http://", "https://")):
        raise _invalid("channel.config.uri: A valid URI is required.")
    if not isinstance(items, list) or not items or not all(isinstance(item, str) for item in items):
        raise _invalid("events.items: At least one event type is required.")
    auth = _object(config.get("authScheme"))
    headers = config.get("headers")
    headers = headers if isinstance(headers, list) else []
    return {
        "name": name,
        "uri": uri,
        "events": items,
        "auth_key": auth.get("key"),
        "auth_value": auth.get("value"),
        "headers": [h for h in headers if isinstance(h, dict) and "key" in h and "value" in h],
    }


@bp.get("")
def list_hooks() -> Response:
    """Every registered hook (Okta's JSON; the auth value is never shown)."""
    return jsonify(sandbox_of().event_hooks())


@bp.post("")
def create_hook() -> tuple[Response, int]:
    """An ``EventHook`` body -> 200 with the hook, created ``ACTIVE`` and verified at once unless
    ``?verify=false`` (a failed verification answers 400 and leaves the hook ``UNVERIFIED``)."""
    sandbox = sandbox_of()
    hook = sandbox.create_event_hook(**parse_hook_body(body()))
    if request.args.get("verify", "true").lower() != "false":
        hook = sandbox.verify_event_hook(hook["id"])
    return jsonify(hook), 200


@bp.post("/<hook_id>/verify")
def verify_hook(hook_id: str) -> Response:
    """Send the one-time verification GET again."""
    return jsonify(sandbox_of().verify_event_hook(hook_id))


@bp.post("/<hook_id>/status")
def set_status(hook_id: str) -> Response:
    """``{"status": "ACTIVE" | "INACTIVE"}``."""
    return jsonify(sandbox_of().set_event_hook_status(hook_id, str(body().get("status", ""))))


@bp.delete("/<hook_id>")
def delete_hook(hook_id: str) -> tuple[str, int]:
    """Remove the hook (204)."""
    sandbox_of().delete_event_hook(hook_id)
    return "", 204


@bp.get("/deliveries")
def deliveries() -> Response:
    """What was delivered: hook, event types, targets, each attempt, delivered or not."""
    return jsonify([asdict(item) for item in sandbox_of().event_hook_deliveries()])


@bp.post("/flush")
def flush() -> Response:
    """Wait (up to ``{"timeout": 10}`` seconds) until queued events are delivered."""
    timeout = float(body().get("timeout", 10.0))
    return jsonify({"flushed": sandbox_of().flush_event_hooks(min(max(timeout, 0.0), 60.0))})
