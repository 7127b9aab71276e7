"""Okta schema details (oneOf, enum, items, format, maxLength, permissions): read from the sandbox
over HTTP, validated and bounded, stored on the source attribute, and enum values shown by their
titles on the teammate page."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient
from sqlmodel import select

from tests.helpers import visible_text
from tests.sync.conftest import Connected
from tests.sync.helpers import ok, teammate_of
from webapp.extensions import db
from webapp.sources.okta.schema_details import MAX_CHOICES, MAX_DETAILS_CHARS, MAX_TEXT, attribute_details
from webapp.sync.models import SyncKind
from webapp.teammates.enums import enum_titles, titled
from webapp.teammates.models import SourceAttribute

SEAT = {
    "oneOf": [{"const": "HQ1", "title": "Headquarters, floor 1"}, {"const": "REM", "title": "Remote"}],
    "enum": ["HQ1", "REM"],
    "maxLength": 3,
    "permissions": [{"principal": "SELF", "action": "READ_ONLY"}],
}
BADGES = {
    "items": {
        "type": "string",
        "enum": ["GOLD", "SILVER"],
        "oneOf": [{"const": "GOLD", "title": "Gold badge"}, {"const": "SILVER", "title": "Silver badge"}],
    },
}


def stored(connected: Connected, name: str) -> dict[str, Any]:
    """The stored details of the Okta attribute `name`."""
    with connected.app.app_context(), db.session_scope(writer=False) as session:
        row = session.exec(
            select(SourceAttribute).where(SourceAttribute.source == "okta", SourceAttribute.name == name)
        ).one()
        return dict(row.details)


def test_schema_details_are_kept_and_enum_values_shown_by_title(
    connected: Connected, client: FlaskClient
) -> None:
    """Custom enum attributes added to the sandbox's schema (a string with oneOf, an array of enums):
    a full sync stores their details as Okta sent them, and the teammate page shows the titles."""
    org = connected.org
    org.add_schema_attribute("deskSeat", title="Desk seat", type="string", **SEAT)
    org.add_schema_attribute("badges", title="Badges", type="array", **BADGES)
    login = "enum.person@acme.example"
    user = org.create_user(
        profile={
            "login": login,
            "email": login,
            "firstName": "Enum",
            "lastName": "Person",
            "deskSeat": "HQ1",
            "badges": ["GOLD", "SILVER"],
        }
    )
    ok(connected.app, SyncKind.FULL)
    assert stored(connected, "deskSeat") == SEAT
    # The sandbox, as Okta's Profile Editor, gives every custom attribute a SELF permission.
    assert stored(connected, "badges") == {**BADGES, "permissions": SEAT["permissions"]}
    assert stored(connected, "email")["format"] == "email"  # a base attribute's format
    assert stored(connected, "login")["maxLength"] == 100
    teammate, _ = teammate_of(connected.app, user["id"])
    page = visible_text(client.get(f"/teammates/{teammate.id}"))
    assert "Desk seat deskSeat Headquarters, floor 1 ( HQ1 )" in page  # the title, then the value
    assert "Badges badges Gold badge, Silver badge ( GOLD, SILVER )" in page


def test_a_hostile_schema_keeps_only_documented_shapes(connected: Connected) -> None:
    """Odd shapes from the org are dropped, never stored; long lists and texts are bounded."""
    org = connected.org
    choices = [{"const": f"V{n}", "title": "t" * 1000} for n in range(MAX_CHOICES + 50)]
    org.add_schema_attribute(
        "hostile",
        title="Hostile",
        type="string",
        oneOf=[{"const": True, "title": "bool"}, {"const": "A"}, "junk", {"const": {"x": 1}, "title": "obj"}],
        enum=[None, {"a": 1}, "ok", 3],
        format="<script>",
        maxLength=-4,
        permissions=[{"principal": "SELF", "action": "READ_ONLY"}, {"principal": "x y", "action": 1}, "junk"],
    )
    org.add_schema_attribute("huge", title="Huge", type="string", oneOf=choices)
    ok(connected.app, SyncKind.FULL)
    assert stored(connected, "hostile") == {
        "oneOf": [],
        "enum": ["ok", 3],
        "permissions": [{"principal": "SELF", "action": "READ_ONLY"}],
    }
    huge = stored(connected, "huge")
    assert len(json.dumps(huge, ensure_ascii=False)) <= MAX_DETAILS_CHARS
    assert 0 < len(huge["oneOf"]) < MAX_CHOICES
    assert all(len(choice["title"]) == MAX_TEXT for choice in huge["oneOf"])


def test_attribute_details_bounds_and_titles() -> None:
    """The pure validation: wrong types dropped, lists cut, item enums kept; titles read back."""
    assert attribute_details({"type": "string", "title": "Plain"}) == {}
    many = attribute_details({"enum": list(range(MAX_CHOICES * 3))})
    assert many["enum"] == list(range(MAX_CHOICES))
    assert attribute_details({"maxLength": True, "format": "uri"}) == {"format": "uri"}
    assert attribute_details({"items": {"type": "object", "enum": ["a", ["b"]]}}) == {
        "items": {"enum": ["a"]}
    }
    details = attribute_details(BADGES)
    assert titled(["GOLD", "BRONZE"], enum_titles(details)) == ["Gold badge", "BRONZE"]
    assert titled(7, enum_titles(attribute_details({"oneOf": [{"const": 7, "title": "Seven"}]}))) == "Seven"
