"""Opening an invitation link in a real browser: the #token is posted by static/js/invite.js."""

from __future__ import annotations

from typing import Any

import pytest

from tests import factories
from tests.conftest import LiveServer
from webapp.extensions import db

pytestmark = pytest.mark.browser


def test_invitation_link_opens_the_password_form(page: Any, live_server: LiveServer) -> None:
    """Clicking the link lands on "choose a password" at a clean address (the token gone from the
    address bar and history), with no console error or CSP violation; the new admin is signed in."""
    with live_server.app.app_context(), db.session_scope() as session:
        _, token = factories.gen_invite(session, email="bob@acme.example")
    page.goto(f"{live_server.url}/invite#{token}")
    page.get_by_text("You were invited as an admin with the email").wait_for()
    assert page.url == f"{live_server.url}/invite/accept"
    assert token not in page.evaluate("document.documentElement.outerHTML")
    password = "Bobs-Own-Passw0rd!"
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Repeat the password").fill(password)
    page.get_by_role("button", name="Create my account").click()
    page.get_by_text("Your admin account is ready").wait_for()
    page.go_back()
    assert token not in page.url


def test_without_a_token_the_link_page_asks_for_it(page: Any, live_server: LiveServer) -> None:
    """Opened without the #token (a mail client cut it off), the page asks to paste the link."""
    with live_server.app.app_context(), db.session_scope() as session:
        _, token = factories.gen_invite(session, email="carol@acme.example")
    page.goto(f"{live_server.url}/invite")
    page.get_by_label("Invitation link").fill(f"{live_server.url}/invite#{token}")
    page.get_by_role("button", name="Open the invitation").click()
    page.get_by_text("carol@acme.example").wait_for()
    assert page.url == f"{live_server.url}/invite/accept"
