"""The Assignments pages (stub until the area is built: an empty state saying what comes first)."""

from __future__ import annotations

from flask import Blueprint, Response

from webapp.placeholders import Area
from webapp.rendering import render

bp = Blueprint("rules", __name__, url_prefix="/signatures/assignments")
AREA = Area(
    "rules",
    "Assignments",
    "/signatures/assignments",
    "No assignment rules yet",
    "Rules decide which published template each teammate gets. Publish a template first.",
)


@bp.get("/")
def index() -> Response:
    """The Assignments page (empty state until the area has data)."""
    return render("pages/placeholder.html", area=AREA)
