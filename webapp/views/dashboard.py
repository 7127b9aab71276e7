"""The dashboard: where an admin lands after signing in."""

from __future__ import annotations

from flask import Blueprint, Response

from webapp.rendering import render

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def index() -> Response:
    """Show what to do next; before Okta is connected that is 'Connect Okta to get started'."""
    return render("dashboard/index.html")
