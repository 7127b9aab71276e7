"""Default fields: created once when Okta's schema is stored, schema-dependent (pronouns, LinkedIn), never
overwriting or resurrecting what the admin changed."""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.fields.factories import SCHEMA, gen_schema
from tests.sync.conftest import Connected
from webapp.extensions import db
from webapp.fields import store
from webapp.fields.defaults import DEFAULT_FIELDS, create_default_fields, default_specs
from webapp.fields.models import FieldFormat
from webapp.fields.signals import fields_changed
from webapp.fields.values import known_fields
from webapp.sync.service import refresh_schema
from webapp.teammates.signals import schema_refreshed

BASE_KEYS = [default.key for default in DEFAULT_FIELDS if not default.optional]


def test_defaults_for_a_base_schema_leave_out_pronouns_and_linkedin() -> None:
    """Without such attributes, the 17 base defaults only; country maps to countryCode."""
    specs = {spec.key: spec for spec in default_specs([name for name, *_ in SCHEMA])}
    assert list(specs) == BASE_KEYS
    assert specs["country"].attribute == "countryCode"
    assert specs["job_title"].attribute == "title"
    assert specs["mobile_phone"].format == FieldFormat.PHONE_INTERNATIONAL
    assert specs["email"].format == FieldFormat.EMAIL


def test_pronouns_and_linkedin_are_matched_case_insensitively() -> None:
    """`Pronouns`, `linkedIn`, `linkedin_url`: found whatever their case or punctuation; a custom
    `country` wins over `countryCode`."""
    for names, pronouns, linkedin in [
        (["Pronouns", "linkedIn"], "Pronouns", "linkedIn"),
        (["preferred_pronouns", "linkedin_url"], "preferred_pronouns", "linkedin_url"),
        (["PRONOUNS", "LinkedInProfileURL"], "PRONOUNS", "LinkedInProfileURL"),
    ]:
        specs = {spec.key: spec for spec in default_specs([*names, "country", "countryCode"])}
        assert specs["pronouns"].attribute == pronouns
        assert specs["linkedin"].attribute == linkedin
        assert specs["linkedin"].format == FieldFormat.URL
        assert specs["country"].attribute == "country"


def test_creating_defaults_is_idempotent_and_keeps_admin_edits(app: Flask) -> None:
    """A second run creates nothing; an edited default stays edited; a deleted one is not recreated;
    an attribute added later (pronouns) brings its default then."""
    with app.app_context(), db.session_scope() as session:
        gen_schema(session)
        assert create_default_fields(session=session) == BASE_KEYS
    with app.app_context(), db.session_scope() as session:
        title = store.get_field_by_key(session=session, key="job_title")
        assert title is not None
        title.label, title.format = "Role", FieldFormat.UPPER
        division = store.get_field_by_key(session=session, key="division")
        assert division is not None
        store.delete_field(session=session, field=division)
    with app.app_context(), db.session_scope() as session:
        assert create_default_fields(session=session) == []
        gen_schema(session, [("pronouns", "Pronouns", "string", True)])
        assert create_default_fields(session=session) == ["pronouns"]
    with app.app_context(), db.session_scope() as session:
        fields = {field.key: field for field in known_fields(session=session)}
        assert "division" not in fields
        assert (fields["job_title"].label, fields["job_title"].format) == ("Role", FieldFormat.UPPER)
        assert list(fields)[-1] == "pronouns"


def test_schema_refreshed_signal_creates_defaults_and_announces_them(app: Flask) -> None:
    """The teammates area's `schema_refreshed` creates the defaults (committed) and sends `fields_changed`."""
    sent: list[dict[str, Any]] = []

    def listener(sender: Flask, **kwargs: Any) -> None:
        with sender.app_context(), db.session_scope(writer=False) as session:  # committed already
            kwargs["stored"] = len(known_fields(session=session))
        sent.append(kwargs)

    with app.app_context(), db.session_scope() as session:
        gen_schema(session)
    with fields_changed.connected_to(listener):
        schema_refreshed.send(app, source="okta")
        schema_refreshed.send(app, source="okta")  # nothing new the second time: no signal
        schema_refreshed.send(app, source="rippling")  # not Okta: ignored
    assert sent == [{"field_keys": frozenset(BASE_KEYS), "teammate_ids": None, "stored": len(BASE_KEYS)}]


def test_refreshing_the_schema_from_okta_creates_the_defaults(connected: Connected) -> None:
    """`refresh_schema` (the sync's schema read) stores the sandbox's schema, whose custom pronouns and
    linkedinUrl attributes bring their defaults."""
    app = connected.app
    with app.app_context():
        stored = refresh_schema(app)
        assert stored is not None
        with db.session_scope(writer=False) as session:
            fields = {field.key: field for field in known_fields(session=session)}
    assert fields["pronouns"].attribute == "pronouns"
    assert fields["linkedin"].attribute == "linkedinUrl"
    assert set(BASE_KEYS) <= set(fields)
