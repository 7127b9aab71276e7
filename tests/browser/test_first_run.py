"""The newcomer's first minutes, in a real browser (Playwright + Debian chromium)."""

from __future__ import annotations

from typing import Any

import pytest

from tests import factories
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_create_first_admin_sign_in_and_see_dashboard(page: Any, live_server: LiveServer) -> None:
    """A newcomer creates the first admin, signs out, signs back in and sees 'Connect Okta to get started'."""
    console_errors: list[str] = []
    page.on(
        "console", lambda message: console_errors.append(message.text) if message.type == "error" else None
    )
    page.goto(live_server.url + "/")
    assert page.url.endswith("/setup/admin")
    page.get_by_label("Your email").fill(factories.ADMIN_EMAIL)
    page.get_by_label("Password", exact=True).fill(factories.ADMIN_PASSWORD)
    page.get_by_label("Repeat the password").fill(factories.ADMIN_PASSWORD)
    page.get_by_role("button", name="Create admin account").click()
    page.get_by_text("Connect Okta to get started").wait_for()

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in to Signet").wait_for()
    page.get_by_label("Email").fill(factories.ADMIN_EMAIL)
    page.get_by_label("Password").fill(factories.ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Connect Okta to get started").wait_for()
    assert page.url == live_server.url + "/"
    # htmx loaded from our own static folder (the page fixture fails on any CSP violation).
    assert page.evaluate("typeof htmx !== 'undefined' && htmx.version.startsWith('2.')")
    assert console_errors == [], console_errors


def test_wrong_password_then_htmx_invite_in_browser(page: Any, live_server: LiveServer) -> None:
    """A wrong password shows the error; an htmx form on Settings swaps in the invitation link."""
    from webapp.extensions import db

    with live_server.app.app_context(), db.session_scope() as session:
        factories.gen_admin(session)
    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill(factories.ADMIN_EMAIL)
    page.get_by_label("Password").fill("Wrong-Password-123")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("don't match an admin account").wait_for()
    page.get_by_label("Password").fill(factories.ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Settings").click()
    page.locator("#admins").get_by_label("Email").fill("bob@acme.example")
    with page.expect_response(lambda r: r.url.endswith("/settings/invites")) as response_info:
        page.get_by_role("button", name="Create invitation").click()
    assert response_info.value.request.headers.get("hx-request") == "true"
    link = page.locator("#invite-link").input_value()
    assert link.startswith(live_server.url + "/invite#")  # the token rides in the fragment, never logged
    page.locator("#admins").get_by_label("Email").fill(factories.ADMIN_EMAIL)
    page.get_by_role("button", name="Create invitation").click()
    page.get_by_text("is already an admin").wait_for()
