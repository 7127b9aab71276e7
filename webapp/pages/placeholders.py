"""Areas whose features arrive in later releases; each shows an empty state saying what comes first."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response

from webapp.rendering import render


@dataclass(frozen=True)
class Area:
    """A navigation area and the empty state it shows until it has content."""

    name: str
    title: str
    url_prefix: str
    empty_title: str
    empty_text: str


AREAS = (
    Area(
        "fields",
        "Smart fields",
        "/fields",
        "No smart fields yet",
        "Smart fields map Okta attributes (title, department, phone…) into signatures. "
        "They are available once Okta is connected.",
    ),
    Area(
        "signatures",
        "Signatures",
        "/signatures",
        "No signatures yet",
        "Signature templates are filled with each teammate's smart fields. Connect Okta first, then "
        "create your first template.",
    ),
)


def _make_blueprint(area: Area) -> Blueprint:
    blueprint = Blueprint(area.name, __name__, url_prefix=area.url_prefix)

    def index() -> Response:
        return render("pages/placeholder.html", area=area)

    index.__doc__ = f"The {area.title} page (empty state until the feature has data)."
    blueprint.add_url_rule("/", "index", index, methods=["GET"])
    return blueprint


blueprints = [_make_blueprint(area) for area in AREAS]
