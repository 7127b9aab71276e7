"""The Delivery pages (stub until the area is built: an empty state saying what comes first)."""

from __future__ import annotations

from flask import Blueprint, Response

from webapp.placeholders import Area
from webapp.rendering import render

bp = Blueprint("delivery", __name__, url_prefix="/delivery")
AREA = Area(
    "delivery",
    "Delivery",
    "/delivery",
    "Nothing to deliver yet",
    "Private signature links appear once teammates have signatures.",
)


@bp.get("/")
def index() -> Response:
    """The Delivery page (empty state until the area has data)."""
    return render("pages/placeholder.html", area=AREA)
