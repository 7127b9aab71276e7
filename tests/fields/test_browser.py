"""In a real browser: the Smart fields pages pass axe-core (with data and with errors), and the edit page's
sample follows the form as the admin changes it (htmx), with no CSP violation."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.axe_check import assert_accessible
from tests.browser.signin import sign_in
from tests.conftest import LiveServer
from tests.fields.factories import gen_field, gen_schema
from tests.fields.test_pages import usage
from tests.teammates.factories import gen_connection, gen_teammate
from webapp.extensions import db
from webapp.fields.models import FieldFormat
from webapp.fields.usage import FieldUsage

pytestmark = pytest.mark.browser


@pytest.fixture
def seeded(live_server: LiveServer) -> dict[str, int]:
    """An admin, a stored Okta connection and schema, three fields and two teammates (ids by name)."""
    with live_server.app.app_context(), db.session_scope() as session:
        factories.gen_admin(session)
        gen_connection(session)
        gen_schema(session)
        gen_field(session, "job_title", "title", label="Job title")
        mobile = gen_field(
            session,
            "mobile",
            "mobilePhone",
            fmt=FieldFormat.PHONE_INTERNATIONAL,
            label="Mobile",
            phone_region="GB",
        )
        gen_field(session, "office", label="Office")
        ada = gen_teammate(session, name="Ada Lovelace", profile={"mobilePhone": "07911 123456"})
        alan = gen_teammate(session, name="Alan Turing", title=None)
        assert ada.id is not None and alan.id is not None and mobile.id is not None
        return {"ada": ada.id, "alan": alan.id, "mobile": mobile.id}


def _sign_in(page: Any, live_server: LiveServer) -> None:
    sign_in(page, live_server.url)


def test_sample_follows_the_form_and_pages_are_accessible(
    page: Any, live_server: LiveServer, seeded: dict[str, int]
) -> None:
    """Choosing E.164 updates the sample in place; list, edit (with errors), teammate and Missing data
    pages have no serious or critical axe violations."""
    _sign_in(page, live_server)
    page.goto(live_server.url + "/smart-fields/")
    expect(page.locator("#fields-list")).to_contain_text("{{ job_title }}")
    assert_accessible(page, "/smart-fields/")

    page.goto(f"{live_server.url}/smart-fields/{seeded['mobile']}/edit")
    sample = page.locator("#field-sample")
    expect(sample).to_contain_text("+44 7911 123456")
    page.locator("#field-format").select_option(FieldFormat.PHONE_E164.value)
    expect(sample).to_contain_text("+447911123456")
    assert_accessible(page, "edit page")

    page.locator("#field-format").select_option(FieldFormat.URL.value)
    page.locator("#field-fallback").fill("javascript:alert(1)")
    page.get_by_role("button", name="Save field").click()
    expect(page.locator("#field-fallback-error")).to_contain_text("must be a web address")
    expect(page.locator("#field-fallback")).to_have_value("javascript:alert(1)")
    assert_accessible(page, "edit page with an error")

    page.goto(f"{live_server.url}/smart-fields/teammates/{seeded['ada']}")
    page.get_by_label("Office").fill("Paris")
    page.get_by_role("button", name="Save values").click()
    expect(page.locator("#flash")).to_contain_text("Saved.")  # the page after the redirect
    expect(page.get_by_label("Office")).to_have_value("Paris")
    assert_accessible(page, "teammate values")

    page.goto(f"{live_server.url}/teammates/{seeded['ada']}")
    expect(page.locator("#teammate-fields")).to_contain_text("Paris")

    with usage({"job_title": [FieldUsage(1, "Everyone", "/signatures/1", published=True)]}):
        page.goto(live_server.url + "/smart-fields/missing")
        expect(page.locator("#missing-job_title")).to_contain_text("Alan Turing")
        assert_accessible(page, "missing data")
