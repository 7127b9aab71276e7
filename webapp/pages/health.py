"""Liveness and readiness for whoever runs the instance."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from webapp.db import ping
from webapp.extensions import db
from webapp.security import public

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz() -> tuple[Response, int]:
    """200 when the database answers, 503 (with the reason's class, never its text) otherwise."""
    try:
        details = ping(db.engine)
    except SQLAlchemyError as error:
        current_app.logger.warning("Health check failed: %s", type(error).__name__)
        return jsonify(status="unavailable", database=type(error).__name__), 503
    return jsonify(status="ok", **details), 200
