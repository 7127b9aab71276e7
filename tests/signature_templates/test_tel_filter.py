"""The `|tel` filter: a phone value in E.164 for `tel:` links (RFC 3966 allows no spaces), from the
values' own E.164 forms (a national-format value says no country) or from a +country code; empty
for anything that is not a valid number. The sandbox's allowlist still holds; the gallery and the
editor use and show it (issue 16)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import AuthActions
from tests.fields.factories import gen_field
from tests.helpers import page_text
from tests.signature_templates.conftest import gen_fields, make_template
from tests.teammates.factories import gen_teammate
from webapp.extensions import db
from webapp.fields.models import FieldFormat, FieldSource, SmartField
from webapp.fields.values import ValueMap, compute_field_values
from webapp.signature_templates.gallery import STARTERS, StarterTemplate
from webapp.signature_templates.renderer import TemplateRefused, render_signature
from webapp.signature_templates.sandbox import FILTER_HELP, FILTERS

BASE_URL = "https://signet.acme.example"
LINK = '<a href="tel:{{ mobile_phone|tel }}">{{ mobile_phone }}</a>'


def html(template: str, values: dict[str, str]) -> str:
    """The rendered email-safe HTML."""
    return render_signature(template, values, base_url=BASE_URL).html


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        ("+1 415-555-2671", "+14155552671"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+14155552671", "+14155552671"),
        (" +33 1 42 68 53 00 ", "+33142685300"),
        ("(415) 555-2671", ""),  # no country code and no E.164 form given: not guessed
        ("1112223333", ""),
        ("+1 1112223333", ""),  # not a valid number
        ("call me", ""),
        ("", ""),
    ],
)
def test_tel_reads_numbers_with_their_country_code(shown: str, expected: str) -> None:
    """From plain values (sample data, the CLI's own dicts): only a +country code is trusted."""
    assert html("<p>{{ mobile_phone|tel }}</p>", {"mobile_phone": shown}) == f"<p>{expected}</p>"


def test_tel_of_a_national_value_uses_the_computed_e164_form() -> None:
    """A field in national format for a GB teammate: shown `020 7946 0958`, linked `+442079460958`."""
    field = SmartField(
        key="mobile_phone",
        label="Mobile",
        source=FieldSource.OKTA,
        attribute="mobilePhone",
        format=FieldFormat.PHONE_NATIONAL,
    )
    values = compute_field_values([field], {"mobilePhone": "020 7946 0958", "countryCode": "GB"}, {}).values
    assert isinstance(values, ValueMap)
    assert re.fullmatch(r'<a href="tel:\+442079460958"[^>]*>020 7946 0958</a>', html(LINK, values))
    # The same text without the computed forms (a plain dict) has no country: no link target.
    assert re.fullmatch(r'<a href="tel:"[^>]*>020 7946 0958</a>', html(LINK, dict(values)))


def test_tel_of_an_unknown_placeholder_is_empty() -> None:
    """An unknown name renders empty through `|tel` too."""
    assert html("<p>{{ nobody|tel }}x</p>", {}) == "<p>x</p>"


def test_tel_output_is_escaped_and_cannot_carry_markup() -> None:
    """Whatever the value, `|tel` gives digits and + or nothing; a forged E.164 map is still escaped."""
    hostile = '+1 415-555-2671"><script>alert(1)</script>'
    assert html(LINK, {"mobile_phone": hostile}).startswith('<a href="tel:" ')
    forged = ValueMap({"mobile_phone": "x"}, tel={"x": '"><img src=x onerror=alert(1)>'})
    rendered = html(LINK, forged)
    assert "<img" not in rendered and "onerror" not in rendered.replace("onerror=alert(1)&gt;", "")


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("{{ _tel_numbers }}", "not a smart field name"),
        ("{{ mobile_phone|tel|attr('x') }}", "filter |attr is not allowed"),
        ("{% filter tel %}x{% endfilter %}", "{% filter %} blocks are not allowed"),
    ],
)
def test_the_e164_map_is_out_of_reach_and_the_allowlist_holds(template: str, reason: str) -> None:
    """The context entry holding the E.164 forms can't be named; other filters stay refused."""
    with pytest.raises(TemplateRefused) as refused:
        render_signature(template, {"mobile_phone": "+14155552671"}, base_url=BASE_URL)
    assert reason in refused.value.message


def test_tel_with_arguments_is_refused_with_a_reason_not_an_error() -> None:
    """`|tel` takes no argument: a one-line refusal, never an exception escaping the renderer."""
    with pytest.raises(TemplateRefused):
        render_signature("{{ mobile_phone|tel(1, 2) }}", {"mobile_phone": "+14155552671"}, base_url=BASE_URL)


def test_tel_is_listed_among_the_allowed_filters() -> None:
    """The refusal message of an unknown filter names `tel` among the allowed ones."""
    with pytest.raises(TemplateRefused) as refused:
        render_signature("{{ x|nope }}", {}, base_url=BASE_URL)
    assert "tel" in refused.value.message.split("allowed:")[1]


@pytest.mark.parametrize("starter", STARTERS, ids=[starter.key for starter in STARTERS])
def test_gallery_tel_links_use_the_tel_filter(starter: StarterTemplate) -> None:
    """Every `tel:` href of every layout is `{{ field|tel }}`, never the spaced international form."""
    hrefs = re.findall(r'href="tel:([^"]*)"', starter.html)
    assert hrefs and all(re.fullmatch(r"\{\{ [a-z_]+\|tel \}\}", href) for href in hrefs), hrefs


@pytest.mark.parametrize("starter", STARTERS, ids=[starter.key for starter in STARTERS])
def test_gallery_shows_an_invalid_number_as_typed_without_a_link(starter: StarterTemplate) -> None:
    """A number that is not valid is shown, but no `tel:` link is made of it."""
    values = {
        "display_name": "Ada Lovelace",
        "mobile_phone": "1112223333",
        "primary_phone": "+1 415-555-2671",
    }
    rendered = html(starter.html, values)
    assert "1112223333" in rendered
    assert re.findall(r'href="(tel:[^"]*)"', rendered) in (["tel:+14155552671"], [])
    assert 'href="tel:"' not in rendered


def test_editor_shows_the_filters_and_a_phone_link_button(
    app: Flask, client: FlaskClient, signed_in: AuthActions
) -> None:
    """The editor explains every filter (with `|tel` first) and its toolbar inserts a phone link."""
    with app.app_context(), db.session_scope() as session:
        gen_fields(session)
    template_id = make_template(app)
    body = page_text(client.get(f"/signatures/{template_id}"))
    assert "data-phone-link" in body and "Insert phone link (|tel)" in body
    assert '<details class="filter-help" id="filter-help">' in body
    for name in FILTER_HELP:
        assert f"<code>|{name}</code>" in body
    assert "tel:{{ mobile_phone|tel }}" in body
    documented = " ".join(f"{name} {example} {meaning}" for name, (example, meaning) in FILTER_HELP.items())
    assert all(re.search(rf"\b{name}\b", documented) for name in FILTERS)


def test_preview_as_a_teammate_links_their_national_number_in_e164(
    app: Flask, htmx_client: FlaskClient, signed_in: AuthActions
) -> None:
    """The editor's preview for a GB teammate, with a national-format field: `tel:+44...`."""
    with app.app_context(), db.session_scope() as session:
        gen_field(session, "mobile_phone", "mobilePhone", fmt=FieldFormat.PHONE_NATIONAL)
        teammate = gen_teammate(
            session, name="Ada Lovelace", profile={"mobilePhone": "020 7946 0958", "countryCode": "GB"}
        )
        teammate_id = teammate.id
    template_id = make_template(app)
    response = htmx_client.post(
        f"/signatures/{template_id}/preview", data={"html": LINK, "teammate_id": teammate_id}
    )
    assert response.status_code == 200
    frames = [unescape(doc) for doc in re.findall(r'srcdoc="([^"]*)"', response.get_data(as_text=True))]
    assert frames
    assert all('href="tel:+442079460958"' in frame and "020 7946 0958" in frame for frame in frames)
