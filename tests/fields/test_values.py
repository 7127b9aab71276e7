"""Field values: base and custom attributes of every type, kept values, fallbacks, batching, completion."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event

from tests.fields.factories import gen_field
from tests.teammates.factories import gen_many_teammates, gen_teammate
from webapp.extensions import db
from webapp.fields import store
from webapp.fields.completion import completion
from webapp.fields.models import FieldFormat, FieldSource, SmartField
from webapp.fields.values import (
    compute_field_values,
    known_fields,
    profile_field_values,
    teammate_field_values,
)

PROFILE: dict[str, Any] = {
    "firstName": "Ada",
    "title": "engineer",
    "mobilePhone": "+44 7911 123456",
    "languages": ["en", "fr"],
    "deskNumber": 42,
    "fte": 0.8,
    "headcount": 3.0,
    "remote": True,
    "badge": False,
    "nickname": None,
    "team": [],
    "website": "www.ada.example",
}


def _field(key: str, attribute: str = "", **settings: Any) -> SmartField:
    source = FieldSource.OKTA if attribute else FieldSource.SIGNET
    return SmartField(key=key, label=key, source=source, attribute=attribute, **settings)


def test_base_and_custom_attributes_of_every_type() -> None:
    """Strings, arrays, integers, numbers, booleans, null and [] from base and custom attributes."""
    fields = [
        _field("first_name", "firstName"),
        _field("job_title", "title", format=FieldFormat.TITLE_CASE),
        _field("mobile", "mobilePhone", format=FieldFormat.PHONE_E164, phone_region="GB"),
        _field("languages", "languages", list_separator=" / "),
        _field("desk", "deskNumber"),
        _field("fte", "fte"),
        _field("headcount", "headcount"),
        _field("remote", "remote"),
        _field("badge", "badge"),
        _field("nickname", "nickname"),
        _field("team", "team"),
        _field("absent", "notInProfile"),
        _field("website", "website", format=FieldFormat.URL),
    ]
    result = compute_field_values(fields, PROFILE, {})
    assert result.values == {
        "first_name": "Ada",
        "job_title": "Engineer",
        "mobile": "+447911123456",
        "languages": "en / fr",
        "desk": "42",
        "fte": "0.8",
        "headcount": "3",
        "remote": "Yes",
        "badge": "No",
        "nickname": "",
        "team": "",
        "absent": "",
        "website": "https://www.ada.example",
    }
    assert result.missing == frozenset({"nickname", "team", "absent"})


def test_fallbacks_fill_empty_values_but_still_count_as_missing() -> None:
    """An empty value shows the fallback (formatted like a value); `missing` is decided before it."""
    fields = [
        _field("pronouns", "pronouns", fallback="they/them"),
        _field("phone", "mobilePhone", fallback="+1 415 555 2671", format=FieldFormat.PHONE_NATIONAL),
        _field("site", "website", fallback="acme.example", format=FieldFormat.URL),
        _field("first_name", "firstName", fallback="Friend"),
    ]
    result = compute_field_values(fields, {"firstName": "Ada", "mobilePhone": "  "}, {})
    assert result.values == {
        "pronouns": "they/them",
        "phone": "(415) 555-2671",
        "site": "https://acme.example",
        "first_name": "Ada",
    }
    assert result.missing == frozenset({"pronouns", "phone", "site"})


def test_values_kept_in_signet_ignore_the_profile() -> None:
    """A Signet field reads the kept value by key, never the profile."""
    fields = [_field("office", fallback="Remote"), _field("cost_center")]
    result = compute_field_values(fields, {"office": "from okta"}, {"cost_center": "  CC-42 \n"})
    assert result.values == {"office": "Remote", "cost_center": "CC-42"}
    assert result.missing == frozenset({"office"})


def test_teammate_values_are_batched(app: Flask) -> None:
    """Values for 1,200 teammates take a handful of queries, not one per teammate."""
    with app.app_context(), db.session_scope() as session:
        gen_many_teammates(session, 1200)
        gen_field(session, "job_title", "title")
        office = gen_field(session, "office", fallback="HQ")
        first = gen_teammate(session, name="Kept Person")
        assert first.id is not None and office.id is not None
        store.save_kept_values(session=session, teammate_id=first.id, values={office.id: "Paris"})
    with app.app_context(), db.session_scope(writer=False) as session:
        ids = list(range(1, 1202))
        statements: list[str] = []
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        result = teammate_field_values(session=session, teammate_ids=ids)
        assert len(statements) <= 8, statements
        assert len(result) == len(ids)
        assert result[1].values["job_title"] and result[1].values["office"] == "HQ"
        assert first.id is not None
        assert (
            teammate_field_values(session=session, teammate_ids=[first.id])[first.id].values["office"]
            == "Paris"
        )


def test_teammate_values_for_only_some_keys(app: Flask) -> None:
    """With `keys`, only those fields are computed (a re-render asks for what its templates use)."""
    with app.app_context(), db.session_scope() as session:
        gen_field(session, "job_title", "title")
        gen_field(session, "office", fallback="HQ")
        person = gen_teammate(session, name="Some Person")
        assert person.id is not None
        person_id = person.id
    with app.app_context(), db.session_scope(writer=False) as session:
        only = teammate_field_values(session=session, teammate_ids=[person_id], keys={"office"})
        assert only[person_id].values == {"office": "HQ"}
        assert only[person_id].missing == frozenset({"office"})
        every = teammate_field_values(session=session, teammate_ids=[person_id])
        assert set(every[person_id].values) == {"job_title", "office"}


def test_known_fields_in_order_and_profile_values(app: Flask) -> None:
    """Fields come in the admin's order; a bare profile gets values too (previews, CLI)."""
    with app.app_context(), db.session_scope() as session:
        gen_field(session, "b_field", "title")
        moved = gen_field(session, "a_field", "firstName")
        store.move_field(session=session, field=moved, offset=-1)
    with app.app_context(), db.session_scope() as session:
        assert [f.key for f in known_fields(session=session)] == ["a_field", "b_field"]
        values = profile_field_values(session=session, profile={"title": "CTO"})
        assert values.values == {"a_field": "", "b_field": "CTO"}
        assert values.missing == frozenset({"a_field"})


def test_completion_counts_active_teammates_with_their_own_value(app: Flask) -> None:
    """ "9/12": active teammates only, and a fallback does not count as a value."""
    with app.app_context(), db.session_scope() as session:
        for number in range(12):
            gen_teammate(session, name=f"Person {number}", title="Engineer" if number < 9 else "")
        gen_teammate(session, name="Gone", title="Engineer", active=False)
        title = gen_field(session, "job_title", "title", fallback="Team member")
        gen_field(session, "languages", "languages")
        fields = known_fields(session=session)
        result = completion(session=session, fields=fields, watch=["job_title"], limit=2)
    assert result.active == 12
    assert result.filled == {"job_title": 9, "languages": 0}
    assert result.lacking_count == {"job_title": 3}
    assert len(result.lacking["job_title"]) == 2
    assert title.fallback == "Team member"
