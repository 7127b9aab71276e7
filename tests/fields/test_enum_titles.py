"""Enum values by their titles in smart-field values (Okta's `oneOf`: const -> title), or as stored,
per field ("Show enum values as"), wherever values are computed: rendering, the CLI, previews,
completion, the edit page's sample and a teammate's values (issue 16)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.fields.factories import gen_field
from tests.fields.test_pages import VALID, field_id
from tests.helpers import page_text, visible_text
from tests.teammates.factories import gen_teammate
from webapp.extensions import db
from webapp.fields import store
from webapp.fields.completion import completion
from webapp.fields.models import EnumDisplay, FieldSource
from webapp.fields.values import known_fields, profile_field_values, teammate_field_values
from webapp.signature_templates.renderer import render_signature
from webapp.teammates.models import SourceAttribute

ONE_OF = {"oneOf": [{"const": "ONE", "title": "Option one"}, {"const": "TWO", "title": "Option two"}]}
ITEMS = {
    "items": {
        "type": "string",
        "oneOf": [{"const": "en", "title": "English"}, {"const": "fr", "title": "French"}],
    }
}


def gen_enum_schema(app: Flask) -> None:
    """Two custom attributes whose schema titles their values (as H2's sync stores the details)."""
    with app.app_context(), db.session_scope() as session:
        session.add(SourceAttribute(source="okta", name="tier", title="Tier", details=ONE_OF, custom=True))
        session.add(
            SourceAttribute(source="okta", name="languages", title="Languages", type="array", details=ITEMS)
        )
        session.add(SourceAttribute(source="okta", name="title", title="Title"))


def gen_enum_fields(app: Flask, *, tier_display: str = EnumDisplay.TITLE) -> int:
    """Fields on the titled attributes, and a teammate with values; returns the teammate's id."""
    gen_enum_schema(app)
    with app.app_context(), db.session_scope() as session:
        gen_field(session, "tier", "tier", enum_display=tier_display)
        gen_field(session, "languages", "languages", list_separator=" / ")
        gen_field(session, "tier_code", "tier", enum_display=EnumDisplay.VALUE)
        gen_field(session, "job_title", "title")
        gen_field(session, "kept_tier", source=FieldSource.SIGNET)  # no schema: never titled
        teammate = gen_teammate(
            session,
            name="Ada Lovelace",
            title="ONE",
            profile={"tier": "ONE", "languages": ["fr", "en", "de"]},
        )
        kept = store.get_field_by_key(session=session, key="kept_tier")
        assert teammate.id is not None and kept is not None and kept.id is not None
        store.save_kept_values(session=session, teammate_id=teammate.id, values={kept.id: "ONE"})
        return teammate.id


def test_values_show_titles_by_default_and_values_when_asked(app: Flask) -> None:
    """Titles by default (arrays item by item, unknown values as they are); `value` keeps "ONE";
    an attribute without titles and a value kept in Signet are untouched."""
    teammate_id = gen_enum_fields(app)
    with app.app_context(), db.session_scope(writer=False) as session:
        values = teammate_field_values(session=session, teammate_ids=[teammate_id])[teammate_id].values
    assert values == {
        "tier": "Option one",
        "languages": "French / English / de",
        "tier_code": "ONE",
        "job_title": "ONE",
        "kept_tier": "ONE",
    }


def test_the_option_is_per_field(app: Flask) -> None:
    """The same attribute set to `value` shows the stored value."""
    teammate_id = gen_enum_fields(app, tier_display=EnumDisplay.VALUE)
    with app.app_context(), db.session_scope(writer=False) as session:
        values = teammate_field_values(session=session, teammate_ids=[teammate_id], keys={"tier"})
    assert values[teammate_id].values == {"tier": "ONE"}


def test_profiles_and_rendering_use_titles(app: Flask, tmp_path: Path) -> None:
    """A bare profile (previews, the CLI) gets titles, and the rendered signature shows them."""
    gen_enum_fields(app)
    with app.app_context(), db.session_scope(writer=False) as session:
        values = profile_field_values(session=session, profile={"tier": "TWO"}).values
    assert values["tier"] == "Option two" and values["tier_code"] == "TWO"
    rendered = render_signature("<p>{{ tier }} ({{ tier_code }})</p>", values, base_url="https://x.example")
    assert rendered.html == "<p>Option two (TWO)</p>"
    template, profile = tmp_path / "t.html", tmp_path / "p.json"
    template.write_text("<p>{{ tier }}</p>")
    profile.write_text(json.dumps({"tier": "ONE"}))
    result = app.test_cli_runner().invoke(
        args=["signatures", "render", "--template", str(template), "--profile", str(profile)]
    )
    assert result.exit_code == 0 and result.stdout == "<p>Option one</p>\n"


def test_untrusted_schema_details_are_ignored(app: Flask) -> None:
    """Details not of the documented shape give no titles (the value shows as stored)."""
    with app.app_context(), db.session_scope() as session:
        bad: dict[str, Any] = {"oneOf": [{"const": "ONE", "title": {"x": 1}}, "ONE", {"title": "No const"}]}
        session.add(SourceAttribute(source="okta", name="tier", title="Tier", details=bad))
        gen_field(session, "tier", "tier")
    with app.app_context(), db.session_scope(writer=False) as session:
        assert profile_field_values(session=session, profile={"tier": "ONE"}).values == {"tier": "ONE"}


def test_completion_counts_titled_values(app: Flask) -> None:
    """Titles change how a value reads, not whether there is one."""
    gen_enum_fields(app)
    with app.app_context(), db.session_scope(writer=False) as session:
        counts = completion(session=session, fields=known_fields(session=session))
    assert counts.filled["tier"] == 1 and counts.filled["languages"] == 1


@pytest.mark.usefixtures("signed_in")
def test_form_has_a_labelled_option_and_saves_it(app: Flask, client: FlaskClient) -> None:
    """The edit form: a visible label and hint, title selected by default; saving `value` keeps it;
    the sample follows the choice; anything else is refused with a message by the control."""
    gen_enum_fields(app)
    tier = field_id(app, "tier")
    form = page_text(client.get(f"/smart-fields/{tier}/edit"))
    assert '<label for="field-enum-display">Show enum values as' in form
    assert '<option value="title" selected>' in form and '<option value="value">' in form
    assert "Option one" in visible_text(client.get(f"/smart-fields/{tier}/edit"))
    data = {**VALID, "label": "Tier", "attribute": "tier", "list_separator": ", ", "enum_display": "value"}
    assert client.post(f"/smart-fields/{tier}/edit", data=data).status_code == 303
    with app.app_context(), db.session_scope(writer=False) as session:
        field = store.get_field(session=session, field_id=tier)
        assert field is not None and field.enum_display == EnumDisplay.VALUE
    sample = visible_text(client.get("/smart-fields/sample", query_string={**data, "field_id": tier}))
    assert "ONE" in sample and "Option one" not in sample
    sample = visible_text(
        client.get("/smart-fields/sample", query_string={**data, "enum_display": "title", "field_id": tier})
    )
    assert "Option one" in sample
    refused = client.post(f"/smart-fields/{tier}/edit", data={**data, "enum_display": "sparkly"})
    assert refused.status_code == 422
    assert 'id="field-enum_display-error"' in page_text(refused)
    assert "Choose whether enum values show as their title or as the value" in page_text(refused)


@pytest.mark.usefixtures("signed_in")
def test_teammate_values_page_shows_titles(app: Flask, client: FlaskClient) -> None:
    """One teammate's smart fields show the titles too."""
    teammate_id = gen_enum_fields(app)
    page = visible_text(client.get(f"/smart-fields/teammates/{teammate_id}"))
    assert "Option one" in page and "French / English / de" in page
