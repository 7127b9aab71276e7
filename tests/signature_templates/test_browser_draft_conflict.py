"""In a real browser: two admins open the same draft in two pages; the first saves; the second's
save is refused with who saved it, the diff of their draft against this text, and the text kept in
the editor; saving again overwrites on purpose. axe-core on the refusal page."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.axe_check import assert_accessible
from tests.browser.signin import sign_in
from tests.conftest import LiveServer
from tests.signature_templates.conftest import gen_fields, gen_template
from webapp.extensions import db

pytestmark = pytest.mark.browser
BOB = "bob@acme.example"


def test_the_second_save_of_the_same_draft_is_refused_with_the_diff(
    page: Any, browser: Any, live_server: LiveServer
) -> None:
    """Bob (second page) saves first; Alice's save shows 409's refusal, Bob's line Removed and hers
    Added, her text still in the editor; *Save my version over theirs* then saves hers."""
    with live_server.app.app_context(), db.session_scope() as session:
        factories.gen_admin(session)
        factories.gen_admin(session, email=BOB)
        gen_fields(session)
        template_id = gen_template(session, html="<p>{{ first_name }}</p>\n<p>Acme</p>").id
    editor_url = f"{live_server.url}/signatures/{template_id}"
    sign_in(page, live_server.url)
    page.goto(editor_url)
    bobs = browser.new_context()
    try:
        bob = bobs.new_page()
        bob.set_default_timeout(10_000)
        bob.goto(live_server.url + "/login")
        bob.get_by_label("Email").fill(BOB)
        bob.get_by_label("Password").fill(factories.ADMIN_PASSWORD)
        bob.get_by_role("button", name="Sign in").click()
        bob.get_by_role("heading", name="Dashboard").wait_for()
        bob.goto(editor_url)
        bob.get_by_label("Template HTML").fill("<p>{{ first_name }}</p>\n<p>Acme Corp, Sales</p>")
        bob.get_by_role("button", name="Save draft").click()
        bob.get_by_text("Draft saved.").wait_for()
    finally:
        bobs.close()

    alices = "<p>{{ first_name }} {{ last_name }}</p>\n<p>Acme</p>"
    page.get_by_label("Template HTML").fill(alices)
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.get_by_role("button", name="Save draft").click()
    assert answer.value.status == 409
    page.get_by_role("heading", name="Your changes were not saved").wait_for()
    expect(page.get_by_role("alert").filter(has_text="saved this draft")).to_contain_text(BOB)
    diff = page.get_by_role("region", name="Their saved draft compared with your text")
    expect(diff).to_be_visible()
    expect(diff.locator("tr.diff-removed").filter(has_text="Acme Corp, Sales")).to_have_count(1)
    expect(diff.locator("tr.diff-added").filter(has_text="{{ last_name }}")).to_have_count(1)
    expect(page.get_by_label("Template HTML")).to_have_value(alices)
    expect(page.get_by_role("link", name="open the editor with their saved draft")).to_be_visible()
    assert_accessible(page, "the editor after a refused stale save")

    page.get_by_role("button", name="Save my version over theirs").click()
    page.get_by_text("Draft saved.").wait_for()
    expect(page.get_by_label("Template HTML")).to_have_value(alices)
