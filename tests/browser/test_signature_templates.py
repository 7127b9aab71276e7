"""In a real browser: create a template from the gallery, watch the live preview follow the editor for
a chosen teammate (the sandboxed frame's content), insert a field from the toolbar, publish, and see
version 1 in the history; axe-core on every page on the way (and no CSP violation from the frames)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.axe_check import assert_accessible
from tests.browser.signin import sign_in
from tests.conftest import LiveServer
from tests.signature_templates.conftest import gen_fields
from tests.teammates.factories import gen_teammate
from webapp.extensions import db

pytestmark = pytest.mark.browser
DESKTOP = 'iframe[title="Signature preview (desktop)"]'


@pytest.fixture
def editor_page(page: Any, live_server: LiveServer) -> Any:
    """Signed in, with the default smart fields and two synced teammates."""
    with live_server.app.app_context(), db.session_scope() as session:
        factories.gen_admin(session)
        gen_fields(session)
        gen_teammate(session, name="Grace Hopper", title="Rear Admiral", department="Navy")
        gen_teammate(session, name="Ada Lovelace", title="Analyst", department="Engineering")
    return sign_in(page, live_server.url)


def test_edit_preview_and_publish_a_template(editor_page: Any, live_server: LiveServer) -> None:
    """Gallery → editor → preview as Grace follows typing and the toolbar → publish → version 1."""
    page = editor_page
    page.goto(live_server.url + "/signatures/")
    assert_accessible(page, "/signatures/ empty")
    page.get_by_role("link", name="New template").click()
    page.get_by_role("heading", name="New signature template").wait_for()
    assert_accessible(page, "/signatures/new with the gallery")
    page.get_by_label("Name", exact=True).fill("Sales team")
    page.get_by_label(re.compile("^Simple text")).check()
    page.get_by_role("button", name="Create template").click()
    page.get_by_role("heading", name="Edit template: Sales team").wait_for()
    assert_accessible(page, "the template editor")

    desktop = page.locator(DESKTOP)
    expect(desktop).to_have_attribute("srcdoc", re.compile("Alex"))  # sample data first
    page.get_by_label("Preview as").select_option(label="Grace Hopper")
    expect(desktop).to_have_attribute("srcdoc", re.compile("Rear Admiral"))
    expect(page.frame_locator(DESKTOP).get_by_text("Grace Hopper")).to_be_visible()

    editor = page.get_by_label("Template HTML")
    editor.fill("<p>{{ first_name }} works in {{ department }}</p>")
    expect(desktop).to_have_attribute("srcdoc", re.compile("Grace works in Navy"))
    expect(page.frame_locator(DESKTOP).get_by_text("Grace works in Navy")).to_be_visible()
    assert page.locator("#preview-text").inner_text().strip() == "Grace works in Navy"

    editor.press("End")
    page.get_by_role("toolbar", name="Insert a smart field").get_by_role(
        "button", name="Insert job_title"
    ).click()
    expect(editor).to_have_value(re.compile(r"\{\{ job_title \}\}$"))
    expect(desktop).to_have_attribute("srcdoc", re.compile("Rear Admiral"))
    page.get_by_label("Preview as").select_option(label="Ada Lovelace")
    expect(desktop).to_have_attribute("srcdoc", re.compile("Ada works in Engineering"))
    assert_accessible(page, "the editor after live previews")

    page.get_by_role("button", name="Publish…").click()
    page.get_by_role("heading", name="Publish “Sales team”").wait_for()
    assert_accessible(page, "the publish review")
    page.get_by_role("button", name="Publish version 1").click()
    page.get_by_text("Published version 1.").wait_for()
    history = page.locator("#template-versions")
    expect(history.locator("tbody tr")).to_have_count(1)
    assert "Version 1" in history.inner_text() and factories.ADMIN_EMAIL in history.inner_text()
    assert "Published v1" in page.locator("#template-status").inner_text()
    assert_accessible(page, "the editor after publishing")

    page.goto(live_server.url + "/signatures/")
    expect(page.locator("#signature-templates")).to_contain_text("Published v1")
    assert_accessible(page, "/signatures/ with a template")


def test_images_page_is_accessible(editor_page: Any, live_server: LiveServer) -> None:
    """The images page, with its BASE_URL warning and an upload error, passes axe-core."""
    page = editor_page
    page.goto(live_server.url + "/signatures/images")
    page.locator("#base-url-warning").wait_for()
    assert_accessible(page, "/signatures/images")
    page.get_by_label("Image file").set_input_files(
        files=[{"name": "notes.png", "mimeType": "image/png", "buffer": b"not an image"}]
    )
    page.get_by_role("button", name="Upload image").click()
    page.get_by_text("The file is not an image Signet can read.").wait_for()
    assert_accessible(page, "/signatures/images with an upload error")
