"""The Smart fields pages (stub until the area is built: an empty state saying what comes first)."""

from __future__ import annotations

from flask import Blueprint, Response

from webapp.placeholders import Area
from webapp.rendering import render

bp = Blueprint("fields", __name__, url_prefix="/smart-fields")
AREA = Area(
    "fields",
    "Smart fields",
    "/smart-fields",
    "No smart fields yet",
    "Smart fields map Okta attributes (title, department, phone…) into signatures. "
    "They are available once Okta is connected.",
)


@bp.get("/")
def index() -> Response:
    """The Smart fields page (empty state until the area has data)."""
    return render("pages/placeholder.html", area=AREA)
