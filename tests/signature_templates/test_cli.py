"""`flask signatures render`: a template for a teammate or a profile, HTML or text, one-line errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask import Flask

from tests.fields.factories import gen_field
from tests.teammates.factories import gen_teammate
from webapp.extensions import db
from webapp.fields.defaults import create_default_fields
from webapp.fields.models import FieldFormat
from webapp.fields.values import teammate_field_values
from webapp.signature_templates.gallery import STARTERS, StarterTemplate
from webapp.signature_templates.renderer import render_signature

TEMPLATE = """<table><tr><td>{{ first_name }} {{ last_name }}</td></tr>
{% if job_title %}<tr><td>{{ job_title }}</td></tr>{% endif %}
{% if mobile_phone %}<tr><td><a href="tel:{{ mobile_phone }}">{{ mobile_phone }}</a></td></tr>{% endif %}
<tr><td><img src="/images/logo.png" alt="Acme" width="10" height="10"></td></tr></table>"""


@pytest.fixture
def fields(app: Flask) -> None:
    """Four smart fields mapped to Okta attributes."""
    with app.app_context(), db.session_scope() as session:
        gen_field(session, "first_name", "firstName")
        gen_field(session, "last_name", "lastName")
        gen_field(session, "job_title", "title")
        gen_field(session, "mobile_phone", "mobilePhone", fmt=FieldFormat.PHONE_INTERNATIONAL)


@pytest.fixture
def template_file(tmp_path: Path) -> Path:
    """The template, in a file."""
    path = tmp_path / "signature.html"
    path.write_text(TEMPLATE, encoding="utf-8")
    return path


def _teammate(app: Flask, **profile: str) -> int:
    with app.app_context(), db.session_scope() as session:
        teammate = gen_teammate(session, name="Ada Lovelace", title="<b>Engineer</b>", profile=profile)
        assert teammate.id is not None
        return teammate.id


def invoke(app: Flask, *args: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of `flask signatures ...`."""
    result = app.test_cli_runner().invoke(args=["signatures", *args])
    return result.exit_code, result.stdout, result.stderr


def test_render_for_a_teammate(app: Flask, fields: None, template_file: Path) -> None:
    """The teammate's values, escaped, cleaned and with absolute URLs, as the renderer gives them."""
    teammate_id = _teammate(app, mobilePhone="+1 415 555 0100")
    code, out, err = invoke(app, "render", "--template", str(template_file), "--teammate", str(teammate_id))
    assert code == 0, err
    with app.app_context(), db.session_scope() as session:
        values = teammate_field_values(session=session, teammate_ids=[teammate_id])[teammate_id].values
    assert values["first_name"] == "Ada" and values["mobile_phone"]
    expected = render_signature(TEMPLATE, values, base_url=app.config["BASE_URL"])
    assert out == expected.html + "\n"
    assert "&lt;b&gt;Engineer&lt;/b&gt;" in out and f'src="{app.config["BASE_URL"]}/images/logo.png"' in out


def test_render_text_for_a_profile(app: Flask, fields: None, template_file: Path, tmp_path: Path) -> None:
    """`--profile` reads an Okta profile from JSON; `--text` prints the plain text."""
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps({"firstName": "Grace", "lastName": "Hopper", "title": "Admiral"}))
    code, out, err = invoke(
        app, "render", "--template", str(template_file), "--profile", str(profile), "--text"
    )
    assert code == 0, err
    assert out == "Grace Hopper\nAdmiral\nAcme\n"


@pytest.mark.parametrize(
    ("template", "profile", "reason"),
    [
        ("{% for x in y %}{% endfor %}", "{}", "Template refused: Line 1: loops"),
        ("{{ ''.__class__ }}", "{}", "Template refused: Line 1: attribute access"),
        (None, "{}", "Cannot read the template file"),
        ("<p>x</p>", "{not json", "is not valid JSON"),
        ("<p>x</p>", "[1, 2]", "must hold a JSON object"),
        ("<p>x</p>", None, "Cannot read the profile file"),
        (b"\xff\xfe<p>", "{}", "is not UTF-8 text"),
    ],
)
def test_render_errors_exit_non_zero_with_one_line(
    app: Flask, fields: None, tmp_path: Path, template: str | bytes | None, profile: str | None, reason: str
) -> None:
    """A refused template, a missing or unreadable file, invalid JSON: exit 1, one line on stderr."""
    template_path, profile_path = tmp_path / "t.html", tmp_path / "p.json"
    if isinstance(template, bytes):
        template_path.write_bytes(template)
    elif template is not None:
        template_path.write_text(template)
    if profile is not None:
        profile_path.write_text(profile)
    code, out, err = invoke(app, "render", "--template", str(template_path), "--profile", str(profile_path))
    assert code == 1 and out == ""
    assert reason in err and err.count("\n") == 1, err


def test_render_unknown_teammate(app: Flask, fields: None, template_file: Path) -> None:
    """A teammate id that doesn't exist: exit 1 and a one-line reason."""
    code, out, err = invoke(app, "render", "--template", str(template_file), "--teammate", "999999")
    assert code == 1 and out == "" and err == "Error: No teammate with id 999999.\n"


@pytest.mark.parametrize("extra", [[], ["--teammate", "1", "--profile", "p.json"]])
def test_render_needs_exactly_one_source_of_values(app: Flask, template_file: Path, extra: list[str]) -> None:
    """Neither or both of --teammate and --profile is a usage error."""
    code, out, err = invoke(app, "render", "--template", str(template_file), *extra)
    assert code == 2 and "either --teammate ID or --profile JSON_FILE" in err


# What many real orgs' users carry (issue 16): names, email and login only, plus a national phone
# number and the teammate's country.
BARE_PROFILES = {
    "GB": (
        {"mobilePhone": "020 7946 0958", "countryCode": "GB"},
        "+44 20 7946 0958",
        "+442079460958",
    ),
    "US": (
        {"mobilePhone": "(415) 555-2671", "countryCode": "US"},
        "+1 415-555-2671",
        "+14155552671",
    ),
    "IN": ({"mobilePhone": "9798901252", "countryCode": "IN"}, "+91 97989 01252", "+919798901252"),
}


@pytest.fixture
def default_fields(app: Flask) -> None:
    """The default smart fields, as Signet creates them when Okta connects."""
    with app.app_context(), db.session_scope() as session:
        assert "display_name" in create_default_fields(session=session)


@pytest.mark.parametrize("country", sorted(BARE_PROFILES))
@pytest.mark.parametrize("starter", STARTERS, ids=[starter.key for starter in STARTERS])
def test_every_gallery_layout_for_a_bare_profile_with_a_national_phone(
    app: Flask, default_fields: None, tmp_path: Path, starter: StarterTemplate, country: str
) -> None:
    """`flask signatures render --profile` with firstName, lastName, email, login and a national
    number with countryCode: a non-empty name line and a `tel:` link in E.164, with every layout."""
    phone, shown, e164 = BARE_PROFILES[country]
    profile = {
        "firstName": "Grace",
        "lastName": "Hopper",
        "email": "grace.hopper@acme.example",
        "login": "grace.hopper@acme.example",
        **phone,
    }
    template_path, profile_path = tmp_path / f"{starter.key}.html", tmp_path / "profile.json"
    template_path.write_text(starter.html, encoding="utf-8")
    profile_path.write_text(json.dumps(profile), encoding="utf-8")
    code, out, err = invoke(app, "render", "--template", str(template_path), "--profile", str(profile_path))
    assert code == 0, err
    assert re.search(r"<(td|strong)\b[^>]*>Grace Hopper</(td|strong)>", out), out
    assert re.findall(r'href="tel:([^"]*)"', out) == [e164]
    assert f">{shown}</a>" in out
    assert 'href="mailto:grace.hopper@acme.example"' in out
    code, text, err = invoke(
        app, "render", "--template", str(template_path), "--profile", str(profile_path), "--text"
    )
    assert code == 0 and "Grace Hopper" in text and shown in text, err
