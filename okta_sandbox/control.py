"""``/__sandbox/``: the Python control API over HTTP, for tests and demos in another process.

Mounted only when :class:`okta_sandbox.SandboxServer` gets ``control_api=True`` (the CLI does).
JSON in, JSON out; routes are listed in ``okta_sandbox/README.md``. Control requests are never
rate limited, faulted or written to the request log. This module holds the org's data (users,
schema, apps, tokens); :mod:`okta_sandbox.control_ops` holds the test levers (limits, faults,
clock, request log).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from okta_sandbox import control_hooks, control_ops
from okta_sandbox.apps import app_to_json
from okta_sandbox.errors import ApiError
from okta_sandbox.http_util import json_body as body
from okta_sandbox.http_util import sandbox_of
from okta_sandbox.sandbox import OktaSandbox
from okta_sandbox.users_api import DELETE_GAP_SECONDS

bp = Blueprint("sandbox_control", __name__, url_prefix="/__sandbox")
bp.register_blueprint(control_ops.bp)
bp.register_blueprint(control_hooks.bp)


def control_blueprint(sandbox: OktaSandbox) -> Blueprint:
    """The control API blueprint; it serves the app's sandbox (``sandbox`` is kept for callers)."""
    del sandbox  # routes read the sandbox from the Flask app (okta_sandbox.http_util.sandbox_of)
    return bp


@bp.errorhandler(ValueError)
def _bad_request(exc: ValueError) -> tuple[Response, int]:
    return jsonify({"error": "bad_request", "message": str(exc)}), 400


@bp.errorhandler(TypeError)
def _bad_arguments(exc: TypeError) -> tuple[Response, int]:
    # e.g. an unknown keyword in a register_app body
    return jsonify({"error": "bad_request", "message": str(exc)}), 400


@bp.errorhandler(KeyError)
def _not_found(exc: KeyError) -> tuple[Response, int]:
    return jsonify({"error": "not_found", "message": str(exc)}), 404


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> tuple[Response, int]:
    return jsonify(exc.body()), exc.status


@bp.get("/")
def describe() -> Response:
    """Origin, issuer, seed, counts, admin sign-in, apps, limits, clock."""
    return jsonify(sandbox_of().describe())


# users -----------------------------------------------------------------


@bp.get("/users")
def list_users() -> Response:
    """``?search=``, ``?filter=``, ``?include_deprovisioned=true``."""
    include = request.args.get("include_deprovisioned")
    return jsonify(
        sandbox_of().list_users(
            search=request.args.get("search"),
            filter=request.args.get("filter"),
            include_deprovisioned=None if include is None else include.lower() in ("1", "true", "yes"),
        )
    )


@bp.post("/users")
def create_user() -> tuple[Response, int]:
    """``{"profile", "status"?, "password"?}`` -> 201 with the user."""
    data = body()
    user = sandbox_of().create_user(
        profile=dict(data.get("profile") or {}),
        status=str(data.get("status", "ACTIVE")),
        password=data.get("password"),
    )
    return jsonify(user), 201


@bp.get("/users/<user_id>")
def get_user(user_id: str) -> Response:
    """One user by id or login."""
    return jsonify(sandbox_of().get_user(user_id))


@bp.route("/users/<user_id>", methods=["PATCH", "POST"])
def update_user(user_id: str) -> Response:
    """``{"profile": {...}}``; null removes an attribute."""
    return jsonify(sandbox_of().update_user(user_id, profile=dict(body().get("profile") or {})))


@bp.delete("/users/<user_id>")
def delete_user(user_id: str) -> tuple[str, int]:
    """Delete at once (204)."""
    sandbox_of().delete_user(user_id)
    return "", 204


@bp.post("/users/deactivate-and-delete")
def deactivate_and_delete_users() -> tuple[str, int]:
    """``{"ids": [...], "gap_seconds"?: 1.0}``: deactivate them, then delete them ``gap_seconds``
    later (events: deactivate, delete.initiated, delete.completed) -> 204 once both steps are done."""
    data = body()
    ids = data.get("ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(item, str) for item in ids):
        raise ValueError("ids must be a non-empty list of user ids")
    gap = data.get("gap_seconds", DELETE_GAP_SECONDS)
    if not isinstance(gap, int | float) or isinstance(gap, bool):
        raise ValueError("gap_seconds must be a number")
    sandbox_of().deactivate_and_delete_users(ids, gap_seconds=float(gap))
    return "", 204


@bp.post("/users/<user_id>/deactivate")
def deactivate_user(user_id: str) -> Response:
    """Status DEPROVISIONED."""
    return jsonify(sandbox_of().deactivate_user(user_id))


@bp.post("/users/<user_id>/reactivate")
def reactivate_user(user_id: str) -> Response:
    """Status ACTIVE."""
    return jsonify(sandbox_of().reactivate_user(user_id))


@bp.post("/users/<user_id>/status")
def set_status(user_id: str) -> Response:
    """``{"status": "SUSPENDED"}`` (any of the 8 statuses)."""
    return jsonify(sandbox_of().set_status(user_id, str(body().get("status", ""))))


@bp.post("/users/<user_id>/admin")
def grant_admin(user_id: str) -> Response:
    """Make the user an admin (its tokens may call the Management API)."""
    sandbox = sandbox_of()
    sandbox.grant_admin(user_id)
    return jsonify(sandbox.get_user(user_id))


# schema ----------------------------------------------------------------


@bp.post("/schema/attributes")
def add_attribute() -> tuple[Response, int]:
    """``{"name", "title", "type", ...extra}`` -> 201 with the attribute's definition."""
    data = body()
    name = str(data.pop("name", ""))
    title = str(data.pop("title", name))
    type_ = str(data.pop("type", "string"))
    if not name:
        raise ValueError("name is required")
    sandbox = sandbox_of()
    sandbox.add_schema_attribute(name, title=title, type=type_, **data)
    return jsonify(sandbox.user_schema()["definitions"]["custom"]["properties"][name]), 201


# apps ------------------------------------------------------------------


@bp.get("/apps")
def list_apps() -> Response:
    """Every registered app."""
    return jsonify([app_to_json(app) for app in sandbox_of().apps()])


@bp.post("/apps")
def register_app() -> tuple[Response, int]:
    """``register_app`` keyword arguments (``redirect_uris`` required) -> 201."""
    data = body()
    if "redirect_uris" not in data:
        raise ValueError("redirect_uris is required")
    return jsonify(app_to_json(sandbox_of().register_app(**data))), 201


@bp.route("/apps/<client_id>", methods=["PATCH", "POST"])
def update_app(client_id: str) -> Response:
    """``update_app`` keyword arguments."""
    return jsonify(app_to_json(sandbox_of().update_app(client_id, **body())))


@bp.post("/apps/<client_id>/dpop")
def set_dpop(client_id: str) -> Response:
    """``{"required": true|false}``: require DPoP at the token endpoint (default true)."""
    required = body().get("required", True)
    if not isinstance(required, bool):
        raise ValueError("required must be true or false")
    return jsonify(app_to_json(sandbox_of().set_dpop_required(client_id, required)))


# tokens ----------------------------------------------------------------


@bp.post("/tokens")
def issue_tokens() -> Response:
    """``{"client_id"?, "scopes"?: "a b" or [...], "login"?, "dpop_jkt"?}`` -> a TokenResponse."""
    data = body()
    kwargs: dict[str, Any] = {
        "client_id": data.get("client_id"),
        "login": data.get("login"),
        "dpop_jkt": data.get("dpop_jkt"),
    }
    if "scopes" in data:
        scopes = data["scopes"]
        kwargs["scopes"] = scopes.split() if isinstance(scopes, str) else list(scopes)
    return jsonify(sandbox_of().issue_tokens_for_tests(**kwargs))


@bp.post("/tokens/revoke")
def revoke_tokens() -> Response:
    """``{"client_id"?}`` -> ``{"revoked": n}``."""
    return jsonify({"revoked": sandbox_of().revoke_tokens(client_id=body().get("client_id"))})
