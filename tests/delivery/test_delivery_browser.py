"""In a real browser: the private page copies rich HTML to the clipboard, and every delivery page
passes axe-core (the page fixture also fails on any CSP violation or script error)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.axe_check import assert_accessible
from tests.browser.signin import create_admin, sign_in
from tests.conftest import LiveServer
from tests.delivery.factories import gen_signed_teammate
from webapp.delivery import links
from webapp.delivery.web import secret_box
from webapp.extensions import db

pytestmark = pytest.mark.browser
READ_CLIPBOARD_HTML = """async () => {
  for (const item of await navigator.clipboard.read()) {
    if (item.types.includes("text/html")) { return await (await item.getType("text/html")).text(); }
  }
  return null;
}"""


def _signed_teammate_with_link(live_server: LiveServer) -> tuple[int, str]:
    with live_server.app.app_context(), db.session_scope() as session:
        teammate = gen_signed_teammate(session, name="Grace Hopper", title="Rear Admiral")
        assert teammate.id is not None
        _, token, _ = links.issue_link(
            session=session, box=secret_box(), teammate_id=teammate.id, created_by=None
        )
        return teammate.id, token


def test_copy_signature_puts_rich_html_on_the_clipboard(page: Any, live_server: LiveServer) -> None:
    """Open a private link, click "Copy signature": the clipboard holds the signature as text/html."""
    _, token = _signed_teammate_with_link(live_server)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(f"{live_server.url}/s/{token}")
    page.get_by_role("heading", name="Grace Hopper: your email signature").wait_for()
    assert_accessible(page, "the private signature page")
    page.get_by_role("button", name="Copy signature").click()
    page.get_by_text("Copied. Now paste it into your mail app").wait_for()
    copied = page.evaluate(READ_CLIPBOARD_HTML)
    assert copied is not None
    assert "<strong>Grace Hopper</strong><br>Rear Admiral" in copied
    assert '<td style="font-family:Arial;color:#1d2330">' in copied  # the signature's own markup, exactly
    frame = page.frame_locator("iframe.signature-preview")
    frame.get_by_text("Grace Hopper").wait_for()  # the sandboxed preview renders


def test_copy_falls_back_to_copying_the_selection(page: Any, live_server: LiveServer) -> None:
    """Without the async clipboard API, the button selects the signature and copies it (execCommand)."""
    _, token = _signed_teammate_with_link(live_server)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.add_init_script("delete window.ClipboardItem;")
    page.goto(f"{live_server.url}/s/{token}")
    page.get_by_role("button", name="Copy signature").click()
    page.get_by_text("Copied. Now paste it into your mail app").wait_for()
    assert page.evaluate("() => window.getSelection().toString()").startswith("Grace Hopper")
    copied = page.evaluate(READ_CLIPBOARD_HTML)
    assert copied is not None and "Grace Hopper" in copied and "Rear Admiral" in copied


def test_dead_link_page_is_accessible(page: Any, live_server: LiveServer) -> None:
    """The 404 a dead or guessed link opens passes axe-core."""
    page.goto(f"{live_server.url}/s/{links.new_token()}")
    page.get_by_role("heading", name="This link doesn't open anything").wait_for()
    assert_accessible(page, "a dead private link")


def test_admin_delivery_pages_are_accessible(page: Any, live_server: LiveServer) -> None:
    """Delivery page with links, the teammate panel after regenerating (htmx), Settings with a new token."""
    teammate_id, token = _signed_teammate_with_link(live_server)
    create_admin(live_server)
    sign_in(page, live_server.url)

    page.goto(live_server.url + "/delivery/")
    page.get_by_label("Private signature link of Grace Hopper").wait_for()
    assert_accessible(page, "the Delivery page")

    page.goto(f"{live_server.url}/teammates/{teammate_id}")
    field = page.locator("#teammate-delivery").get_by_label("Private signature link")
    assert field.input_value().endswith(f"/s/{token}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Regenerate the private link of Grace Hopper").click()
    page.get_by_text("New link for Grace Hopper. The old link no longer works.").wait_for()
    assert not field.input_value().endswith(f"/s/{token}")
    assert_accessible(page, "the teammate page's link panel")

    page.goto(live_server.url + "/settings/")
    page.get_by_label("Name (what will use it)").fill("Mail gateway")
    page.get_by_role("button", name="Create token").click()
    page.locator("#new-api-token").wait_for()
    assert page.locator("#new-api-token").input_value().startswith("sgt_")
    assert_accessible(page, "Settings with a new API token")
