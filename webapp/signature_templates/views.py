"""The Signatures pages (stub until the area is built: an empty state saying what comes first)."""

from __future__ import annotations

from flask import Blueprint, Response

from webapp.placeholders import Area
from webapp.rendering import render

bp = Blueprint("signature_templates", __name__, url_prefix="/signatures")
AREA = Area(
    "signature_templates",
    "Signatures",
    "/signatures",
    "No signature templates yet",
    "Signature templates are filled with each teammate's smart fields. "
    "Connect Okta first, then create your first template.",
)


@bp.get("/")
def index() -> Response:
    """The Signatures page (empty state until the area has data)."""
    return render("pages/placeholder.html", area=AREA)
