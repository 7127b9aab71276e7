"""In a real browser: the editor's toolbar inserts a phone link whose href uses `|tel`, the preview
for a teammate with a national number shows it as E.164, and the filters' help passes axe-core."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.axe_check import assert_accessible
from tests.browser.signin import sign_in
from tests.conftest import LiveServer
from tests.fields.factories import gen_field
from tests.signature_templates.conftest import gen_template
from tests.teammates.factories import gen_teammate
from webapp.extensions import db
from webapp.fields.models import FieldFormat

pytestmark = pytest.mark.browser
DESKTOP = 'iframe[title="Signature preview (desktop)"]'


def test_toolbar_inserts_a_phone_link_in_e164(page: Any, live_server: LiveServer) -> None:
    """Choose the mobile field, *Insert phone link (|tel)*: the preview as a GB teammate whose
    number is national links `tel:+442079460958`; the filters' help is accessible."""
    with live_server.app.app_context(), db.session_scope() as session:
        factories.gen_admin(session)
        gen_field(session, "first_name", "firstName", label="First name")
        gen_field(
            session, "mobile_phone", "mobilePhone", fmt=FieldFormat.PHONE_NATIONAL, label="Mobile phone"
        )
        gen_teammate(
            session, name="Ada Lovelace", profile={"mobilePhone": "020 7946 0958", "countryCode": "GB"}
        )
        template = gen_template(session, html="<p>{{ first_name }}</p>\n")
        template_id = template.id
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/signatures/{template_id}")
    page.get_by_label("Preview as").select_option(label="Ada Lovelace")
    desktop = page.locator(DESKTOP)
    expect(desktop).to_have_attribute("srcdoc", re.compile("Ada"))
    page.get_by_label("Field for a conditional line or a phone link").select_option("mobile_phone")
    editor = page.get_by_label("Template HTML")
    editor.press("Control+End")
    page.get_by_role("button", name="Insert phone link (|tel)").click()
    expect(editor).to_have_value(
        re.compile(r'<a href="tel:\{\{ mobile_phone\|tel \}\}">\{\{ mobile_phone \}\}</a>')
    )
    expect(desktop).to_have_attribute("srcdoc", re.compile(r'href="tel:\+442079460958"'))
    expect(page.frame_locator(DESKTOP).get_by_role("link", name="020 7946 0958")).to_be_visible()
    page.locator("#filter-help summary").click()
    expect(page.locator("#filter-help")).to_contain_text("|tel")
    assert_accessible(page, "the editor with the filters' help open")
