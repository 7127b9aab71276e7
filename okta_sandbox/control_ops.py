"""``/__sandbox/``'s test levers: rate limits, faults, the clock and the request log.

Nested in :mod:`okta_sandbox.control`'s blueprint, which supplies the error handlers.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request

from okta_sandbox.clock import okta_timestamp, parse_okta_timestamp
from okta_sandbox.http_util import json_body, sandbox_of

bp = Blueprint("sandbox_control_ops", __name__)


# rate limits -----------------------------------------------------------


@bp.get("/rate-limits")
def get_rate_limits() -> Response:
    """The per-minute limit of every bucket."""
    return jsonify(sandbox_of().rate_limits())


@bp.route("/rate-limits", methods=["PUT", "PATCH", "POST"])
def set_rate_limits() -> Response:
    """``{"users_list": 50, ...}``: set some buckets (all or none; an unknown bucket is a 400)."""
    return jsonify(sandbox_of().set_rate_limits(json_body()))


@bp.post("/rate-limits/preset")
def apply_rate_limit_preset() -> Response:
    """``{"preset": "real-2026"}``: every bucket from a preset."""
    return jsonify(sandbox_of().apply_rate_limit_preset(str(json_body().get("preset", ""))))


@bp.get("/rate-limits/status")
def rate_limit_status() -> Response:
    """Each bucket's ``limit``, ``remaining`` and ``reset`` (epoch seconds) in the current minute."""
    return jsonify(
        {
            name: {"limit": status.limit, "remaining": status.remaining, "reset": status.reset_epoch}
            for name, status in sandbox_of().rate_limit_status().items()
        }
    )


@bp.post("/rate-limits/reset")
def reset_rate_limits() -> Response:
    """Defaults, empty buckets."""
    sandbox = sandbox_of()
    sandbox.reset_rate_limits()
    return jsonify(sandbox.rate_limits())


# links -----------------------------------------------------------------


@bp.route("/links", methods=["PUT", "PATCH"])
def set_link_origin() -> Response:
    """``{"origin": "https://acme.okta.com"}``: the user listing's ``Link`` headers name that
    origin instead of the org's (``null``: the org's again)."""
    origin = json_body().get("origin")
    if origin is not None and (not isinstance(origin, str) or not origin.startswith(("http://", "https://"))):
        raise ValueError("origin must be an http(s) origin or null")
    sandbox = sandbox_of()
    sandbox.link_origin = origin.rstrip("/") if origin else None
    return jsonify({"origin": sandbox.link_origin})


# DPoP ------------------------------------------------------------------


def _dpop_state() -> dict[str, Any]:
    sandbox = sandbox_of()
    return {
        "nonce": sandbox.dpop_nonce(),
        "rotate_after_seconds": sandbox.dpop_nonce_rotation.total_seconds(),
        "valid_for_seconds": sandbox.dpop_nonce_lifetime.total_seconds(),
    }


@bp.get("/dpop")
def get_dpop() -> Response:
    """The current server nonce and the rotation policy."""
    return jsonify(_dpop_state())


@bp.route("/dpop", methods=["PUT", "PATCH"])
def set_dpop_policy() -> Response:
    """``{"rotate_after_seconds", "valid_for_seconds"}`` (Okta: 86400 and 259200)."""
    data = json_body()
    try:
        rotate, valid = float(data["rotate_after_seconds"]), float(data["valid_for_seconds"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError("rotate_after_seconds and valid_for_seconds must both be numbers") from exc
    sandbox_of().set_dpop_nonce_policy(rotate_after_seconds=rotate, valid_for_seconds=valid)
    return jsonify(_dpop_state())


@bp.post("/dpop/nonce/rotate")
def rotate_dpop_nonce() -> Response:
    """Issue a new current nonce now (older ones stay valid for their lifetime)."""
    sandbox_of().rotate_dpop_nonce()
    return jsonify(_dpop_state())


# state file ------------------------------------------------------------


@bp.post("/state/save")
def save_state() -> Response:
    """Save the state file now -> ``{"saved": path}`` (400 without a state file)."""
    sandbox = sandbox_of()
    if sandbox.state_file is None:
        raise ValueError("This sandbox has no state file (start it with --state-file)")
    return jsonify({"saved": str(sandbox.save_state())})


# faults ----------------------------------------------------------------


@bp.get("/faults")
def list_faults() -> Response:
    """The queued faults."""
    return jsonify([asdict(fault) for fault in sandbox_of().pending_faults()])


@bp.post("/faults")
def inject_fault() -> tuple[Response, int]:
    """``{"kind", "count", "path_prefix", "status", "latency_seconds"}`` -> 201 with the queue."""
    data = json_body()
    sandbox = sandbox_of()
    sandbox.inject_fault(
        str(data.get("kind", "")),
        count=int(data.get("count", 1)),
        path_prefix=data.get("path_prefix"),
        status=data.get("status"),
        latency_seconds=float(data.get("latency_seconds", 0.0)),
    )
    return jsonify([asdict(fault) for fault in sandbox.pending_faults()]), 201


@bp.delete("/faults")
def clear_faults() -> tuple[str, int]:
    """Drop every queued fault (204)."""
    sandbox_of().clear_faults()
    return "", 204


# clock -----------------------------------------------------------------


def _clock_state() -> dict[str, Any]:
    clock = sandbox_of().clock
    return {"now": okta_timestamp(clock.now()), "frozen": clock.frozen}


@bp.get("/clock")
def get_clock() -> Response:
    """``{"now", "frozen"}``."""
    return jsonify(_clock_state())


@bp.post("/clock")
def set_clock() -> Response:
    """Body keys, in order: ``freeze`` (true or a timestamp), ``advance`` (seconds), ``unfreeze``."""
    data = json_body()
    clock = sandbox_of().clock
    freeze = data.get("freeze")
    if freeze is True:
        clock.freeze()
    elif isinstance(freeze, str):
        clock.freeze(_parse_instant(freeze))
    if "advance" in data:
        clock.advance(float(data["advance"]))
    if data.get("unfreeze"):
        clock.unfreeze()
    return jsonify(_clock_state())


def _parse_instant(text: str) -> datetime:
    try:
        return parse_okta_timestamp(text)
    except ValueError as exc:
        raise ValueError(f"Invalid timestamp {text!r}") from exc


# request log -----------------------------------------------------------


@bp.get("/requests")
def get_requests() -> Response:
    """``?path=&grant_type=`` -> ``{"count", "requests"}``."""
    path = request.args.get("path")
    grant_type = request.args.get("grant_type")
    records = [
        record
        for record in sandbox_of().request_log()
        if (path is None or record.path == path) and (grant_type is None or record.grant_type == grant_type)
    ]
    return jsonify(
        {
            "count": len(records),
            "requests": [{**asdict(record), "at": okta_timestamp(record.at)} for record in records],
        }
    )


@bp.delete("/requests")
def clear_requests() -> tuple[str, int]:
    """Forget the request log (204)."""
    sandbox_of().clear_request_log()
    return "", 204
