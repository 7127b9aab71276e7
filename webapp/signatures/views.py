"""The Teammate signatures pages (stub until the area is built: an empty state saying what comes first)."""

from __future__ import annotations

from flask import Blueprint, Response

from webapp.placeholders import Area
from webapp.rendering import render

bp = Blueprint("signatures", __name__, url_prefix="/teammate-signatures")
AREA = Area(
    "signatures",
    "Teammate signatures",
    "/teammate-signatures",
    "No signatures yet",
    "Signatures appear once templates are published and assigned.",
)


@bp.get("/")
def index() -> Response:
    """The Teammate signatures page (empty state until the area has data)."""
    return render("pages/placeholder.html", area=AREA)
