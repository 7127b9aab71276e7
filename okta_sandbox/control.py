"""``/__sandbox/``: the Python control API over HTTP, for tests and demos in another process.

Mounted only when :class:`okta_sandbox.SandboxServer` gets ``control_api=True`` (the CLI does).
JSON in, JSON out; routes are listed in ``okta_sandbox/README.md``. Control requests are never
rate limited, faulted or written to the request log.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request

from okta_sandbox.clock import okta_timestamp, parse_okta_timestamp
from okta_sandbox.errors import ApiError
from okta_sandbox.sandbox import OktaSandbox, app_to_json


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError("The request body must be a JSON object")
    return data


def control_blueprint(sandbox: OktaSandbox) -> Blueprint:  # noqa: C901 - one closure per route
    """The control API blueprint bound to ``sandbox``."""
    bp = Blueprint("sandbox_control", __name__, url_prefix="/__sandbox")

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
        return jsonify(sandbox.describe())

    # users -----------------------------------------------------------------
    @bp.get("/users")
    def list_users() -> Response:
        include = request.args.get("include_deprovisioned")
        return jsonify(
            sandbox.list_users(
                search=request.args.get("search"),
                filter=request.args.get("filter"),
                include_deprovisioned=None if include is None else include.lower() in ("1", "true", "yes"),
            )
        )

    @bp.post("/users")
    def create_user() -> tuple[Response, int]:
        body = _body()
        user = sandbox.create_user(
            profile=dict(body.get("profile") or {}),
            status=str(body.get("status", "ACTIVE")),
            password=body.get("password"),
        )
        return jsonify(user), 201

    @bp.get("/users/<user_id>")
    def get_user(user_id: str) -> Response:
        return jsonify(sandbox.get_user(user_id))

    @bp.route("/users/<user_id>", methods=["PATCH", "POST"])
    def update_user(user_id: str) -> Response:
        return jsonify(sandbox.update_user(user_id, profile=dict(_body().get("profile") or {})))

    @bp.delete("/users/<user_id>")
    def delete_user(user_id: str) -> tuple[str, int]:
        sandbox.delete_user(user_id)
        return "", 204

    @bp.post("/users/<user_id>/deactivate")
    def deactivate_user(user_id: str) -> Response:
        return jsonify(sandbox.deactivate_user(user_id))

    @bp.post("/users/<user_id>/reactivate")
    def reactivate_user(user_id: str) -> Response:
        return jsonify(sandbox.reactivate_user(user_id))

    @bp.post("/users/<user_id>/status")
    def set_status(user_id: str) -> Response:
        return jsonify(sandbox.set_status(user_id, str(_body().get("status", ""))))

    @bp.post("/users/<user_id>/admin")
    def grant_admin(user_id: str) -> Response:
        sandbox.grant_admin(user_id)
        return jsonify(sandbox.get_user(user_id))

    # schema ----------------------------------------------------------------
    @bp.post("/schema/attributes")
    def add_attribute() -> tuple[Response, int]:
        body = _body()
        name = str(body.pop("name", ""))
        title = str(body.pop("title", name))
        type_ = str(body.pop("type", "string"))
        if not name:
            raise ValueError("name is required")
        sandbox.add_schema_attribute(name, title=title, type=type_, **body)
        return jsonify(sandbox.user_schema()["definitions"]["custom"]["properties"][name]), 201

    # apps ------------------------------------------------------------------
    @bp.get("/apps")
    def list_apps() -> Response:
        return jsonify([app_to_json(app) for app in sandbox.apps()])

    @bp.post("/apps")
    def register_app() -> tuple[Response, int]:
        body = _body()
        if "redirect_uris" not in body:
            raise ValueError("redirect_uris is required")
        return jsonify(app_to_json(sandbox.register_app(**body))), 201

    @bp.route("/apps/<client_id>", methods=["PATCH", "POST"])
    def update_app(client_id: str) -> Response:
        return jsonify(app_to_json(sandbox.update_app(client_id, **_body())))

    # tokens ----------------------------------------------------------------
    @bp.post("/tokens")
    def issue_tokens() -> Response:
        body = _body()
        kwargs: dict[str, Any] = {"client_id": body.get("client_id"), "login": body.get("login")}
        if "scopes" in body:
            scopes = body["scopes"]
            kwargs["scopes"] = scopes.split() if isinstance(scopes, str) else list(scopes)
        return jsonify(sandbox.issue_tokens_for_tests(**kwargs))

    @bp.post("/tokens/revoke")
    def revoke_tokens() -> Response:
        return jsonify({"revoked": sandbox.revoke_tokens(client_id=_body().get("client_id"))})

    # rate limits -----------------------------------------------------------
    @bp.get("/rate-limits")
    def get_rate_limits() -> Response:
        return jsonify(sandbox.rate_limits())

    @bp.route("/rate-limits", methods=["PUT", "PATCH", "POST"])
    def set_rate_limits() -> Response:
        for family, per_minute in _body().items():
            sandbox.set_rate_limit(family, int(per_minute))
        return jsonify(sandbox.rate_limits())

    @bp.post("/rate-limits/reset")
    def reset_rate_limits() -> Response:
        sandbox.reset_rate_limits()
        return jsonify(sandbox.rate_limits())

    # faults ----------------------------------------------------------------
    @bp.get("/faults")
    def list_faults() -> Response:
        return jsonify([asdict(fault) for fault in sandbox.pending_faults()])

    @bp.post("/faults")
    def inject_fault() -> tuple[Response, int]:
        body = _body()
        sandbox.inject_fault(
            str(body.get("kind", "")),
            count=int(body.get("count", 1)),
            path_prefix=body.get("path_prefix"),
            status=body.get("status"),
            latency_seconds=float(body.get("latency_seconds", 0.0)),
        )
        return jsonify([asdict(fault) for fault in sandbox.pending_faults()]), 201

    @bp.delete("/faults")
    def clear_faults() -> tuple[str, int]:
        sandbox.clear_faults()
        return "", 204

    # clock -----------------------------------------------------------------
    def clock_state() -> dict[str, Any]:
        return {"now": okta_timestamp(sandbox.clock.now()), "frozen": sandbox.clock.frozen}

    @bp.get("/clock")
    def get_clock() -> Response:
        return jsonify(clock_state())

    @bp.post("/clock")
    def set_clock() -> Response:
        """Body keys, in order: ``freeze`` (true or a timestamp), ``advance`` (seconds), ``unfreeze``."""
        body = _body()
        freeze = body.get("freeze")
        if freeze is True:
            sandbox.clock.freeze()
        elif isinstance(freeze, str):
            sandbox.clock.freeze(_parse_instant(freeze))
        if "advance" in body:
            sandbox.clock.advance(float(body["advance"]))
        if body.get("unfreeze"):
            sandbox.clock.unfreeze()
        return jsonify(clock_state())

    # request log -----------------------------------------------------------
    @bp.get("/requests")
    def get_requests() -> Response:
        path = request.args.get("path")
        grant_type = request.args.get("grant_type")
        records = [
            record
            for record in sandbox.request_log()
            if (path is None or record.path == path)
            and (grant_type is None or record.grant_type == grant_type)
        ]
        return jsonify(
            {
                "count": len(records),
                "requests": [{**asdict(record), "at": okta_timestamp(record.at)} for record in records],
            }
        )

    @bp.delete("/requests")
    def clear_requests() -> tuple[str, int]:
        sandbox.clear_request_log()
        return "", 204

    return bp


def _parse_instant(text: str) -> datetime:
    try:
        return parse_okta_timestamp(text)
    except ValueError as exc:
        raise ValueError(f"Invalid timestamp {text!r}") from exc
