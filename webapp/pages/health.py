"""Liveness and readiness for whoever runs the instance."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from webapp.extensions import db
from webapp.security import public

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz() -> tuple[Response, int]:
    """200 when the database answers within 1.5 s, 503 otherwise.

    Anyone may call it, so the answer names neither the database nor the error; the reason goes to
    the server log.
    """
    problem = db.ping()
    if problem is not None:
        current_app.logger.warning("Health check failed: database %s", problem)
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok"), 200
