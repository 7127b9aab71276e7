"""The Smart fields pages: list (page and fragment), create/edit with clear 422s, sample, delete, reorder,
defaults, refresh from Okta, Missing data, one teammate's values (Okta read-only) and the teammate panel."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests.fields.factories import gen_field, gen_schema
from tests.helpers import page_text, visible_text
from tests.teammates.factories import gen_connection, gen_teammate
from webapp.audit.models import AuditEvent
from webapp.extensions import db
from webapp.fields import store
from webapp.fields.models import FieldFormat, FieldSource
from webapp.fields.signals import fields_changed
from webapp.fields.usage import FieldUsage, register_usage_provider, unregister_usage_provider
from webapp.fields.values import known_fields, teammate_field_values

pytestmark = pytest.mark.usefixtures("signed_in")


def seed(app: Flask, *, connected: bool = True) -> dict[str, int]:
    """A schema, three fields (two from Okta, one kept in Signet) and four teammates; ids by name."""
    with app.app_context(), db.session_scope() as session:
        if connected:
            gen_connection(session)
        gen_schema(session)
        gen_field(session, "job_title", "title", label="Job title", fallback="Team member")
        gen_field(session, "mobile", "mobilePhone", fmt=FieldFormat.PHONE_INTERNATIONAL, label="Mobile")
        gen_field(session, "office", label="Office")
        people = [
            gen_teammate(
                session, name="Ada Lovelace", title="Engineer", profile={"mobilePhone": "+44 7911 123456"}
            ),
            gen_teammate(session, name="Grace Hopper", title="Admiral", profile={"mobilePhone": "call me"}),
            gen_teammate(session, name="Alan Turing", title=None),
            gen_teammate(session, name="Gone Person", title=None, active=False),
        ]
        return {person.display_name: person.id for person in people if person.id is not None}


@pytest.fixture
def signals() -> Iterator[list[dict[str, Any]]]:
    """Every `fields_changed` sent during the test (kwargs)."""
    sent: list[dict[str, Any]] = []

    def listener(_sender: Flask, **kwargs: Any) -> None:
        sent.append(kwargs)

    with fields_changed.connected_to(listener):
        yield sent


def test_empty_state_without_okta_links_to_setup(client: FlaskClient) -> None:
    """No fields and no Okta: the page says fields come once Okta is connected and links to Setup."""
    response = client.get("/smart-fields/")
    assert response.status_code == 200
    assert "They are available once Okta is connected." in visible_text(response)
    assert 'href="/setup/okta"' in page_text(response)


def test_empty_state_with_okta_offers_the_defaults(
    app: Flask, client: FlaskClient, signals: list[Any]
) -> None:
    """Connected, no fields: an "Add default fields" button (a POST), which creates them once."""
    with app.app_context(), db.session_scope() as session:
        gen_connection(session)
        gen_schema(session)
    assert "Add default fields" in client.get("/smart-fields/").get_data(as_text=True)
    response = client.post("/smart-fields/defaults")
    assert response.status_code == 303
    page = visible_text(client.get("/smart-fields/"))
    assert "{{ job_title }}" in page and "Okta: Title" in page
    assert len(signals) == 1 and signals[0]["teammate_ids"] is None
    client.post("/smart-fields/defaults")
    assert "were all added before" in visible_text(client.get("/smart-fields/"))
    assert len(signals) == 1


def test_list_shows_source_format_fallback_completion(app: Flask, client: FlaskClient) -> None:
    """Each row: placeholder, label, Okta attribute and title or "Kept in Signet", format, fallback, 2/3."""
    seed(app)
    text = visible_text(client.get("/smart-fields/"))
    assert "{{ job_title }} Job title Okta: Title title Text, as it is Team member 2/3" in text
    assert "{{ office }} Office Kept in Signet" in text
    assert "0/3" in text
    assert "No template" in text


def test_list_fragment_for_htmx(app: Flask, htmx_client: FlaskClient) -> None:
    """htmx gets only the list section (with its <title>), not the page around it."""
    seed(app)
    body = htmx_client.get("/smart-fields/").get_data(as_text=True)
    assert body.lstrip().startswith('<section id="fields-list"')
    assert "<h1>" not in body and "<title>Smart fields · Signet</title>" in body


def test_used_by_comes_from_the_usage_registry(app: Flask, client: FlaskClient) -> None:
    """Templates using a field (from the registry the templates area fills) appear in "Used by"."""
    seed(app)
    with usage({"job_title": [FieldUsage(7, "Sales team", "/signatures/7", published=True)]}):
        text = visible_text(client.get("/smart-fields/"))
    assert "Sales team" in text


def test_move_reorders_and_answers_htmx_with_the_list(
    app: Flask, client: FlaskClient, htmx_client: FlaskClient
) -> None:
    """↓ moves a field down (plain form: 303; htmx: the list fragment)."""
    seed(app)
    job_title = field_id(app, "job_title")
    assert client.post(f"/smart-fields/{job_title}/move", data={"direction": "down"}).status_code == 303
    assert keys(app) == ["mobile", "job_title", "office"]
    response = htmx_client.post(f"/smart-fields/{job_title}/move", data={"direction": "up"})
    assert response.get_data(as_text=True).lstrip().startswith('<section id="fields-list"')
    assert keys(app) == ["job_title", "mobile", "office"]


def field_id(app: Flask, key: str) -> int:
    """The id of the field `key`."""
    with app.app_context(), db.session_scope(writer=False) as session:
        field = store.get_field_by_key(session=session, key=key)
        assert field is not None and field.id is not None
        return field.id


def keys(app: Flask) -> list[str]:
    """Field keys in order."""
    with app.app_context(), db.session_scope(writer=False) as session:
        return [field.key for field in known_fields(session=session)]


class usage:  # noqa: N801 - used as a context manager, like a function
    """Register a fake usage provider for the duration of a `with` block."""

    def __init__(self, usages: Mapping[str, Sequence[FieldUsage]]) -> None:
        self.provider = lambda _session: usages

    def __enter__(self) -> None:
        register_usage_provider(self.provider)

    def __exit__(self, *_: object) -> None:
        unregister_usage_provider(self.provider)


VALID = {
    "key": "pronouns",
    "label": "Pronouns",
    "source": "okta",
    "attribute": "languages",
    "format": "text",
    "phone_region": "US",
    "list_separator": " / ",
    "fallback": "",
}


def test_create_an_okta_field_from_a_custom_attribute(
    app: Flask, client: FlaskClient, signals: list[Any]
) -> None:
    """The form lists base and custom attributes with their Okta titles; creating one redirects to it."""
    seed(app)
    form = page_text(client.get("/smart-fields/new"))
    assert "Languages (languages, array)" in form and "Title (title)" in form
    assert 'label="Custom attributes"' in form
    response = client.post("/smart-fields/new", data={**VALID, "key": "languages", "label": "Languages"})
    assert response.status_code == 303
    assert keys(app)[-1] == "languages"
    assert signals == [{"field_keys": frozenset({"languages"}), "teammate_ids": None}]
    with app.app_context(), db.session_scope(writer=False) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "fields.created")).one()
        assert "languages" in event.summary


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"key": "job_title"}, "key", "A field named job_title already exists"),
        ({"key": "Job Title"}, "key", "Use lowercase letters, digits and underscores"),
        ({"key": "9lives"}, "key", "Use lowercase letters, digits and underscores"),
        ({"key": "x" * 41}, "key", "40 characters or fewer"),
        ({"key": "if"}, "key", "is a word templates reserve"),
        ({"key": "session"}, "key", "“session” is a word templates reserve: it names a built-in"),
        ({"key": "config"}, "key", "“config” is a word templates reserve: it names a built-in"),
        ({"key": "range"}, "key", "“range” is a word templates reserve: it names a built-in"),
        ({"key": "loop"}, "key", "“loop” is a word templates reserve: the template language"),
        ({"key": ""}, "key", "Give the field a placeholder name"),
        ({"label": "  "}, "label", "Give the field a label"),
        ({"attribute": "noSuchThing"}, "attribute", "Okta's user schema has no attribute “noSuchThing”"),
        ({"attribute": ""}, "attribute", "Choose the Okta attribute"),
        ({"format": "phone_national", "phone_region": "ZZ"}, "phone_region", "Choose a region from the list"),
        ({"format": "sparkly"}, "format", "Choose one of the formats listed"),
        ({"source": "ldap"}, "source", "Choose where the value comes from"),
        ({"format": "url", "fallback": "javascript:alert(1)"}, "fallback", "must be a web address"),
        ({"format": "email", "fallback": "nobody"}, "fallback", "must be an email address"),
        ({"list_separator": "\n"}, "list_separator", "can't hold line breaks"),
        ({"fallback": "x" * 300}, "fallback", "200 characters or fewer"),
    ],
)
def test_bad_input_is_refused_with_a_message_next_to_the_field(
    app: Flask, client: FlaskClient, changes: dict[str, str], field: str, message: str
) -> None:
    """422, the specific message by the field (aria-described), what was typed kept, nothing stored."""
    seed(app)
    response = client.post("/smart-fields/new", data={**VALID, **changes})
    assert response.status_code == 422
    html = page_text(response)
    assert message in html
    assert f'id="field-{field}-error"' in html
    assert 'value="Pronouns"' in html or changes.get("label")  # the label typed is kept
    assert keys(app) == ["job_title", "mobile", "office"]


def test_edit_keeps_the_key_and_shows_a_sample(app: Flask, client: FlaskClient, signals: list[Any]) -> None:
    """The edit page samples teammates (a warning for an unreadable phone); saving changes the field."""
    seed(app)
    mobile = field_id(app, "mobile")
    page = visible_text(client.get(f"/smart-fields/{mobile}/edit"))
    assert "+44 7911 123456" in page and "Warning: not a phone number Signet can read" in page
    data = {
        **VALID,
        "key": "ignored",
        "label": "Mobile phone",
        "attribute": "mobilePhone",
        "format": "phone_e164",
    }
    assert client.post(f"/smart-fields/{mobile}/edit", data=data).status_code == 303
    with app.app_context(), db.session_scope(writer=False) as session:
        field = store.get_field(session=session, field_id=mobile)
        assert field is not None
        assert (field.key, field.label, field.format) == ("mobile", "Mobile phone", FieldFormat.PHONE_E164)
    assert signals == [{"field_keys": frozenset({"mobile"}), "teammate_ids": None}]


def test_sample_fragment_follows_the_form(app: Flask, client: FlaskClient, htmx_client: FlaskClient) -> None:
    """GET /sample with the form's values: htmx gets the sample region, a plain GET a page."""
    seed(app)
    query = {
        "source": "okta",
        "attribute": "title",
        "format": "upper",
        "phone_region": "US",
        "list_separator": ", ",
    }
    fragment = htmx_client.get("/smart-fields/sample", query_string=query).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="field-sample"')
    assert "ENGINEER" in fragment and "ADMIRAL" in fragment
    page = client.get("/smart-fields/sample", query_string=query)
    assert "<h1>" in page.get_data(as_text=True) and "ENGINEER" in page.get_data(as_text=True)


def test_delete_warns_when_a_template_uses_the_field(
    app: Flask, client: FlaskClient, signals: list[Any]
) -> None:
    """The confirmation names the templates using it; the POST deletes the field and its kept values."""
    ids = seed(app)
    office = field_id(app, "office")
    with app.app_context(), db.session_scope() as session:
        store.save_kept_values(session=session, teammate_id=ids["Ada Lovelace"], values={office: "Paris"})
    with usage({"office": [FieldUsage(3, "Paris office", "/signatures/3", published=True)]}):
        text = visible_text(client.get(f"/smart-fields/{office}/delete"))
    assert "These templates use this field: Paris office (published)" in text
    assert client.post(f"/smart-fields/{office}/delete").status_code == 303
    assert keys(app) == ["job_title", "mobile"]
    with app.app_context(), db.session_scope(writer=False) as session:
        assert store.kept_values(session=session, teammate_id=ids["Ada Lovelace"]) == {}
    assert signals == [{"field_keys": frozenset({"office"}), "teammate_ids": None}]


def test_missing_data_lists_fields_of_published_templates(app: Flask, client: FlaskClient) -> None:
    """Only fields a published template uses; active teammates lacking them, with Okta and Signet links."""
    ids = seed(app)
    provided = {
        "job_title": [FieldUsage(1, "Everyone", "/signatures/1", published=True)],
        "office": [FieldUsage(2, "Draft only", "/signatures/2", published=False)],
    }
    with usage(provided):
        response = client.get("/smart-fields/missing")
    html = page_text(response)
    assert response.status_code == 200
    assert "Job title {{ job_title }} : 1 teammate Used by Everyone" in visible_text(response)
    assert "Alan Turing" in html and "Gone Person" not in html and "Ada Lovelace" not in html
    assert f'href="/teammates/{ids["Alan Turing"]}"' in html
    assert "https://dev-123-admin.okta.com/admin/user/profile/view/00u" in html
    assert "missing-office" not in html  # only a draft uses it


def test_missing_data_without_published_templates(client: FlaskClient) -> None:
    """Nothing published uses a field: the page says there is nothing to fix."""
    assert "Nothing to fix" in visible_text(client.get("/smart-fields/missing"))


def test_teammate_values_page_has_inputs_only_for_fields_kept_in_signet(
    app: Flask, client: FlaskClient
) -> None:
    """One labelled input per Signet field; Okta's values read-only with "Edit in Okta"."""
    ids = seed(app)
    html = page_text(client.get(f"/smart-fields/teammates/{ids['Ada Lovelace']}"))
    assert '<label for="kept-office">' in html and 'name="field_office"' in html
    assert 'name="field_job_title"' not in html and 'name="field_mobile"' not in html
    assert "Edit in Okta" in html and "+44 7911 123456" in html


def test_saving_kept_values_sends_the_signal_for_that_teammate(
    app: Flask, client: FlaskClient, htmx_client: FlaskClient, signals: list[Any]
) -> None:
    """Saving sends `fields_changed` with the field and the teammate (after commit); htmx is redirected."""
    ids = seed(app)
    ada = ids["Ada Lovelace"]
    seen_by_listener: list[dict[str, str]] = []

    def read_in_another_session(sender: Flask, **_: Any) -> None:
        with db.session_scope(writer=False) as session:  # a new connection sees only committed rows
            values = teammate_field_values(session=session, teammate_ids=[ada])[ada].values
            seen_by_listener.append({"office": values["office"]})

    fields_changed.connect(read_in_another_session)
    try:
        response = client.post(f"/smart-fields/teammates/{ada}", data={"field_office": "  Paris\n HQ "})
    finally:
        fields_changed.disconnect(read_in_another_session)
    assert response.status_code == 303
    assert signals == [{"field_keys": frozenset({"office"}), "teammate_ids": frozenset({ada})}]
    assert seen_by_listener == [{"office": "Paris HQ"}]  # committed before the signal
    assert 'value="Paris HQ"' in page_text(client.get(f"/smart-fields/teammates/{ada}"))
    unchanged = htmx_client.post(f"/smart-fields/teammates/{ada}", data={"field_office": "Paris HQ"})
    assert unchanged.headers["HX-Redirect"] == f"/smart-fields/teammates/{ada}"
    assert len(signals) == 1


def test_posting_a_value_for_an_okta_field_is_refused(
    app: Flask, client: FlaskClient, signals: list[Any]
) -> None:
    """Okta is the one source of truth: a value for an Okta field is refused (422), nothing is saved."""
    ids = seed(app)
    ada = ids["Ada Lovelace"]
    response = client.post(
        f"/smart-fields/teammates/{ada}", data={"field_office": "Paris", "field_job_title": "CEO"}
    )
    assert response.status_code == 422
    assert "Job title comes from Okta and is read-only in Signet" in page_text(response)
    with app.app_context(), db.session_scope(writer=False) as session:
        assert store.kept_values(session=session, teammate_id=ada) == {}
    assert signals == []


def test_too_long_kept_value_is_refused(app: Flask, htmx_client: FlaskClient) -> None:
    """Over 500 characters: 422 with the message by the input, the form fragment for htmx."""
    ids = seed(app)
    response = htmx_client.post(
        f"/smart-fields/teammates/{ids['Ada Lovelace']}", data={"field_office": "x" * 600}
    )
    assert response.status_code == 422
    body = page_text(response)
    assert body.lstrip().startswith('<section id="teammate-field-values"')
    assert "Keep Office to 500 characters or fewer" in body


def test_teammate_page_shows_the_smart_fields_panel(app: Flask, client: FlaskClient) -> None:
    """The teammate's page has a "Smart fields" section with its values and the edit link."""
    ids = seed(app)
    ada = ids["Ada Lovelace"]
    html = page_text(client.get(f"/teammates/{ada}"))
    assert (
        '<section class="card" id="teammate-fields"' in html and "<h2" in html and "Smart fields</h2>" in html
    )
    assert "+44 7911 123456" in html
    assert f'href="/smart-fields/teammates/{ada}"' in html
    alan = page_text(client.get(f"/teammates/{ids['Alan Turing']}"))
    assert "Team member" in alan and "(fallback)" in alan


def test_unknown_ids_are_404(client: FlaskClient) -> None:
    """Unknown field and teammate ids answer 404."""
    for path in ("/smart-fields/999/edit", "/smart-fields/999/delete", "/smart-fields/teammates/999"):
        assert client.get(path).status_code == 404


def test_signet_fields_need_no_attribute(app: Flask, client: FlaskClient) -> None:
    """A field kept in Signet is created without an Okta attribute (and stores none)."""
    seed(app)
    data = {
        **VALID,
        "key": "desk",
        "label": "Desk",
        "source": FieldSource.SIGNET.value,
        "attribute": "whatever",
    }
    assert client.post("/smart-fields/new", data=data).status_code == 303
    with app.app_context(), db.session_scope(writer=False) as session:
        field = store.get_field_by_key(session=session, key="desk")
        assert field is not None and field.attribute == "" and field.source == FieldSource.SIGNET
