"""Name fields made of first and last name when Okta's `displayName` is empty (issue 16: real users
rarely have one), for fields that already exist too, and a gallery that looks right without it."""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

import pytest
from flask import Flask

from tests.fields.factories import gen_field
from tests.teammates.factories import gen_teammate
from webapp.extensions import db
from webapp.fields.completion import completion
from webapp.fields.defaults import default_specs
from webapp.fields.models import FieldFormat, FieldSource, SmartField
from webapp.fields.pages import sample_values
from webapp.fields.store import FieldSpec
from webapp.fields.values import compute_field_values, known_fields, teammate_field_values
from webapp.signature_templates.gallery import STARTERS, StarterTemplate
from webapp.signature_templates.renderer import render_signature

# What many real orgs' users carry (issue 16): no displayName, no title, no phone.
BARE_PROFILE: dict[str, Any] = {
    "firstName": "Grace",
    "lastName": "Hopper",
    "email": "grace.hopper@acme.example",
    "login": "grace.hopper@acme.example",
}
EMPTY_CELL = re.compile(r"<td\b[^>]*>\s*</td>|<strong\b[^>]*>\s*</strong>|<a\b[^>]*>\s*</a>")


def _field(key: str, attribute: str, **settings: Any) -> SmartField:
    return SmartField(key=key, label=key, source=FieldSource.OKTA, attribute=attribute, **settings)


def default_fields() -> list[SmartField]:
    """The default smart fields of an Okta base schema, as `create_default_fields` makes them."""
    return [SmartField(**asdict(spec)) for spec in default_specs([])]


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        ({"firstName": "Grace", "lastName": "Hopper"}, "Grace Hopper"),
        ({"firstName": "Grace", "lastName": "Hopper", "displayName": ""}, "Grace Hopper"),
        ({"firstName": " Grace ", "lastName": "Hopper", "displayName": " \n"}, "Grace Hopper"),
        ({"firstName": "Grace", "lastName": "Hopper", "displayName": None}, "Grace Hopper"),
        ({"firstName": "Grace"}, "Grace"),
        ({"lastName": "Hopper", "firstName": None}, "Hopper"),
        ({"firstName": "Grace", "lastName": "Hopper", "displayName": "Amazing Grace"}, "Amazing Grace"),
    ],
)
def test_display_name_falls_back_to_first_and_last_name(profile: dict[str, Any], expected: str) -> None:
    """An empty or absent `displayName` is made of first + last name, and is not missing."""
    result = compute_field_values([_field("display_name", "displayName")], profile, {})
    assert result.values == {"display_name": expected}
    assert result.missing == frozenset()


def test_without_any_name_the_fallback_shows_and_the_field_is_missing() -> None:
    """No display, first or last name: the field's own fallback, counted as missing."""
    fields = [_field("display_name", "displayName", fallback="The Acme team")]
    result = compute_field_values(fields, {"email": "x@acme.example"}, {})
    assert result.values == {"display_name": "The Acme team"}
    assert result.missing == frozenset({"display_name"})


def test_name_like_attributes_whatever_the_field_key_and_format() -> None:
    """Any field mapped to a full-name attribute (`fullName` too) gets it, in its own format."""
    fields = [
        _field("name", "displayName", format=FieldFormat.UPPER),
        _field("full", "fullName"),
        _field("first", "firstName"),
        _field("title", "title"),
    ]
    result = compute_field_values(fields, BARE_PROFILE, {})
    assert result.values == {
        "name": "GRACE HOPPER",
        "full": "Grace Hopper",
        "first": "Grace",
        "title": "",
    }
    assert result.missing == frozenset({"title"})


def test_existing_fields_of_existing_teammates_use_the_fallback(app: Flask) -> None:
    """A `display_name` field created before this change, for a synced teammate without a
    displayName: the value, the completion count and the edit page's sample all have the name."""
    with app.app_context(), db.session_scope() as session:
        field = gen_field(session, "display_name", "displayName")
        teammate = gen_teammate(session, name="Grace Hopper", profile={"displayName": ""})
        assert teammate.id is not None and field.id is not None
        teammate_id, field_id = teammate.id, field.id
    with app.app_context(), db.session_scope(writer=False) as session:
        values = teammate_field_values(session=session, teammate_ids=[teammate_id])[teammate_id]
        assert values.values["display_name"] == "Grace Hopper" and not values.missing
        counts = completion(session=session, fields=known_fields(session=session), watch=["display_name"])
        assert counts.filled == {"display_name": 1} and counts.lacking_count == {"display_name": 0}
        spec = FieldSpec(key="display_name", label="Display name", attribute="displayName")
        [sample] = sample_values(session=session, spec=spec, field_id=field_id)
        assert (sample.raw, sample.value, sample.used_fallback) == ("Grace Hopper", "Grace Hopper", False)


@pytest.mark.parametrize("starter", STARTERS, ids=[starter.key for starter in STARTERS])
def test_gallery_looks_right_for_a_bare_profile(starter: StarterTemplate) -> None:
    """firstName, lastName, email and login only: the name line shows (first in the plain text), and
    there is no empty cell, dangling separator or label without its value."""
    values = compute_field_values(default_fields(), BARE_PROFILE, {}).values
    rendered = render_signature(starter.html, values, base_url="https://signet.acme.example")
    assert re.search(r">Grace Hopper</(td|strong)>", rendered.html), rendered.html
    assert not EMPTY_CELL.search(rendered.html), rendered.html
    # The headshot's alt text is the name; the logo's is empty (decorative) without an organization.
    assert re.findall(r'alt="([^"]*)"', rendered.html) in ([], [""], ["Grace Hopper"])
    assert rendered.text.splitlines()[0] in ("Grace Hopper", "Grace Hopper | grace.hopper@acme.example")
    assert "grace.hopper@acme.example" in rendered.text
    for dangling in ("Mobile:", "Phone:", "tel:", "| |", ", <", "· <"):
        assert dangling not in rendered.html, dangling
    assert not re.search(r"\|\s*<|>\s*\|", rendered.html.replace("</strong> | ", "</strong>"))


@pytest.mark.parametrize("starter", STARTERS, ids=[starter.key for starter in STARTERS])
@pytest.mark.parametrize(
    "values",
    [{"first_name": "Grace", "last_name": "Hopper"}, {"first_name": "", "last_name": "Hopper"}],
)
def test_gallery_name_line_without_a_display_name_field(
    starter: StarterTemplate, values: dict[str, str]
) -> None:
    """Where `display_name` was deleted or is empty, the name line is first and last name."""
    rendered = render_signature(starter.html, values, base_url="https://signet.acme.example")
    expected = " ".join(part for part in (values["first_name"], values["last_name"]) if part)
    assert re.search(f">{expected}</(td|strong)>", rendered.html), rendered.html
    assert not EMPTY_CELL.search(rendered.html)
