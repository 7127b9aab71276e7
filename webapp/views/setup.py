"""Guided setup: connecting Signet to the team's Okta org."""

from __future__ import annotations

from flask import Blueprint, Response

from webapp.rendering import render

bp = Blueprint("setup", __name__, url_prefix="/setup")


@bp.get("/okta")
def okta() -> Response:
    """The Okta connection wizard."""
    return render("setup/okta.html")
