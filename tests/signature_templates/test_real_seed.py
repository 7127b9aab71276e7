"""The gallery on the sandbox's realistic seed (issue 16), synced over HTTP: most teammates without
`displayName`, national and invalid phone numbers, several countries. Every layout shows every
active teammate's name, links each valid phone as E.164 and shows an invalid one as typed, without a
link; the editor's preview and Missing data say the same over HTTP."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import phonenumbers
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import col, select

from tests.conftest import AuthActions
from tests.fields.factories import gen_field
from tests.helpers import visible_text
from tests.signature_templates.conftest import publish
from tests.sync.conftest import Connected, connect
from tests.sync.helpers import ok
from webapp.extensions import db
from webapp.fields.formats import clean_text
from webapp.fields.models import EnumDisplay
from webapp.fields.values import okta_profiles, teammate_field_values
from webapp.signature_templates.gallery import STARTERS, StarterTemplate
from webapp.signature_templates.renderer import render_signature
from webapp.sync.models import SyncKind
from webapp.teammates.models import Teammate

TEL = re.compile(r'href="tel:([^"]*)"')
# Which phone fields each layout shows (the compact one only the mobile number).
PHONES = {"mobile_phone": "mobilePhone", "primary_phone": "primaryPhone"}


@pytest.fixture
def org(app: Flask, client: FlaskClient, auth: AuthActions, sandbox: Any) -> Connected:
    """Signet connected to the sandbox org of the realistic seed (25 users)."""
    return connect(app, client, auth, sandbox)


def _expected_name(profile: dict[str, Any]) -> str:
    shown = clean_text(str(profile.get("displayName") or ""))
    parts = (clean_text(str(profile.get(part) or "")) for part in ("firstName", "lastName"))
    return shown or " ".join(part for part in parts if part)


def _expected_e164(raw: str, country: Any) -> str | None:
    """What phonenumbers says a teammate's number is in E.164, read in their country; None if invalid."""
    try:
        number = phonenumbers.parse(raw, country if isinstance(country, str) else "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _synced(org: Connected, invalid_user: str) -> tuple[list[int], dict[int, Any], dict[int, Any]]:
    """A full sync of the realistic seed (one teammate given issue 16's invalid number): the active
    teammates' ids, their Okta profiles and their smart-field values (the default fields)."""
    org.org.update_user(invalid_user, profile={"mobilePhone": "1112223333", "countryCode": "US"})
    ok(org.app, SyncKind.FULL)
    with org.app.app_context(), db.session_scope(writer=False) as session:
        ids = [i for i in session.exec(select(Teammate.id).where(col(Teammate.active).is_(True))).all() if i]
        profiles = okta_profiles(session=session, teammate_ids=ids)
        values = teammate_field_values(session=session, teammate_ids=ids)
    return ids, profiles, values


def _first_active_user(org: Connected, **wanted: Any) -> str:
    for user in org.org.list_users():
        profile = user["profile"]
        if user["status"] == "ACTIVE" and all(profile.get(key) == value for key, value in wanted.items()):
            return str(user["id"])
    raise AssertionError(f"no ACTIVE sandbox user with {wanted}")


@pytest.mark.parametrize("starter", STARTERS, ids=[starter.key for starter in STARTERS])
def test_every_layout_for_every_synced_teammate(org: Connected, starter: StarterTemplate) -> None:
    """Name line never empty; every `tel:` link is the E.164 phonenumbers gives for the number read
    in the teammate's own country; a number that is not valid is shown as typed, never linked."""
    invalid = _first_active_user(org, displayName=None, mobilePhone=None)
    ids, profiles, values = _synced(org, invalid)
    without_display_name = [i for i in ids if not profiles[i].get("displayName")]
    assert len(without_display_name) > len(ids) / 2  # the realistic seed: most have none
    national = invalid_seen = 0
    for teammate_id in ids:
        profile = profiles[teammate_id]
        html = unescape(
            render_signature(starter.html, values[teammate_id].values, base_url="https://x.example").html
        )
        name = _expected_name(profile)
        assert name and re.search(rf">{re.escape(name)}</(td|strong)>", html), (name, html)
        links = TEL.findall(html)
        assert all(re.fullmatch(r"\+[1-9]\d{6,14}", link) for link in links), links
        for key, attribute in PHONES.items():
            raw = clean_text(str(profile.get(attribute) or ""))
            if not raw or f"{{{{ {key}" not in starter.html:
                continue
            e164 = _expected_e164(raw, profile.get("countryCode"))
            if e164 is None:  # shown as typed, and no link made of its digits
                digits = re.sub(r"\D", "", raw)
                assert raw in html and not any(digits and link.endswith(digits) for link in links)
                invalid_seen += raw == "1112223333"
            else:
                assert e164 in links, (raw, profile.get("countryCode"), links)
                national += not raw.startswith("+")
    assert national  # the seed's national numbers were read in their teammates' countries
    assert invalid_seen == 1


def test_preview_and_missing_data_over_http(org: Connected, client: FlaskClient) -> None:
    """A layout created from the gallery, previewed as a teammate without displayName and with a
    national number: the name and an E.164 link; once published, Missing data lists the invalid
    number as "not a valid number"."""
    invalid = _first_active_user(org, displayName=None, mobilePhone=None)
    ids, profiles, values = _synced(org, invalid)
    chosen = next(
        i
        for i in ids
        if not profiles[i].get("displayName")
        and not str(profiles[i].get("mobilePhone") or "+").startswith("+")
        and _expected_e164(str(profiles[i]["mobilePhone"]), profiles[i].get("countryCode"))
    )
    created = client.post("/signatures/new", data={"name": "Everyone", "starter": "classic-logo"})
    assert created.status_code == 303
    template_id = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    editor = client.get(f"/signatures/{template_id}", query_string={"teammate_id": chosen})
    page = unescape(unescape(editor.get_data(as_text=True)))
    e164 = _expected_e164(str(profiles[chosen]["mobilePhone"]), profiles[chosen].get("countryCode"))
    preview = client.post(
        f"/signatures/{template_id}/preview",
        data={"html": _draft(page), "teammate_id": chosen},
        headers={"HX-Request": "true"},
    )
    assert preview.status_code == 200
    frame = unescape(unescape(preview.get_data(as_text=True)))
    assert f">{_expected_name(profiles[chosen])}</td>" in frame
    assert f'href="tel:{e164}"' in frame
    assert publish(client, template_id).status_code == 303  # type: ignore[attr-defined]
    missing = visible_text(client.get("/smart-fields/missing"))
    invalid_name = _expected_name(org.org.get_user(invalid)["profile"])
    section = missing.split("Mobile phone", 1)[1]
    assert "with a number that is not valid" in section
    assert invalid_name in section and "Not a valid number" in section


def _draft(page: str) -> str:
    match = re.search(r'<textarea id="template-html"[^>]*>(.*?)</textarea>', page, re.S)
    assert match
    return match.group(1)


def test_enum_values_show_their_titles_after_a_sync(org: Connected, client: FlaskClient) -> None:
    """The realistic seed's `officeCode` (oneOf) and `certifications` (array, items.oneOf): after a
    sync stores the schema details, fields on them show Okta's titles (the field's default), or
    the values for a field set to show the value; the edit page's sample over HTTP too."""
    ok(org.app, SyncKind.FULL)
    schema = org.org.user_schema()["definitions"]["custom"]["properties"]
    offices = {choice["const"]: choice["title"] for choice in schema["officeCode"]["oneOf"]}
    certifications = {
        choice["const"]: choice["title"] for choice in schema["certifications"]["items"]["oneOf"]
    }
    with org.app.app_context(), db.session_scope() as session:
        gen_field(session, "office", "officeCode")
        gen_field(session, "office_code", "officeCode", enum_display=EnumDisplay.VALUE)
        certifications_field = gen_field(session, "certifications", "certifications")
        field_id = certifications_field.id
    with org.app.app_context(), db.session_scope(writer=False) as session:
        ids = [i for i in session.exec(select(Teammate.id).where(col(Teammate.active).is_(True))).all() if i]
        profiles = okta_profiles(session=session, teammate_ids=ids)
        values = teammate_field_values(
            session=session, teammate_ids=ids, keys={"office", "office_code", "certifications"}
        )
    seen = 0
    for teammate_id in ids:
        profile, shown = profiles[teammate_id], values[teammate_id].values
        if profile.get("officeCode") in offices:
            assert shown["office"] == offices[profile["officeCode"]]
            assert shown["office_code"] == profile["officeCode"]
            seen += 1
        if profile.get("certifications"):
            assert shown["certifications"] == ", ".join(certifications[c] for c in profile["certifications"])
            seen += 1
    assert seen
    sample = visible_text(client.get(f"/smart-fields/{field_id}/edit"))
    assert any(title in sample for title in certifications.values())
