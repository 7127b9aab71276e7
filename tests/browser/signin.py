"""Signing in from a real browser, as every browser test starts."""

from __future__ import annotations

from typing import Any

from tests import factories
from tests.conftest import LiveServer
from webapp.extensions import db


def create_admin(live_server: LiveServer) -> None:
    """Create the test admin (`factories.ADMIN_EMAIL`) in the live server's database."""
    with live_server.app.app_context(), db.session_scope() as session:
        factories.gen_admin(session)


def sign_in(page: Any, base_url: str) -> Any:
    """Sign in through the login form as the test admin; return the page, on the dashboard."""
    page.goto(base_url + "/login")
    page.get_by_label("Email").fill(factories.ADMIN_EMAIL)
    page.get_by_label("Password").fill(factories.ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Dashboard").wait_for()
    return page
