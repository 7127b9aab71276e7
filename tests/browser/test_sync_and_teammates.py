"""In a real browser: a sync started from the Sync page against the sandbox shows its progress and its
outcome; typing in the Teammates search filters the table as you type."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlmodel import col, select

from tests import factories
from tests.browser.axe_check import assert_accessible
from tests.browser.signin import sign_in
from tests.conftest import LiveServer, SignetTestClient
from tests.okta_flow import connect_okta, fill_wizard
from webapp.extensions import db
from webapp.teammates.models import Teammate

pytestmark = pytest.mark.browser


@pytest.fixture
def connected_server(live_server: LiveServer, sandbox: Any) -> LiveServer:
    """The live server with an admin and Okta connected to the sandbox (its redirect URI registered)."""
    org = sandbox.sandbox
    org.update_app(org.default_app.client_id, redirect_uris=[live_server.url + "/callbacks/okta"])
    with live_server.app.app_context(), db.session_scope() as session:
        factories.gen_admin(session)
    live_server.app.test_client_class = SignetTestClient
    client = live_server.app.test_client()
    assert (
        client.post(
            "/login", data={"email": factories.ADMIN_EMAIL, "password": factories.ADMIN_PASSWORD}
        ).status_code
        == 303
    )
    fill_wizard(client, domain=sandbox.origin, client_id=org.default_app.client_id)
    assert connect_okta(client).status_code == 200
    return live_server


@pytest.fixture
def admin_page(page: Any, connected_server: LiveServer) -> Any:
    """A browser signed in to the connected server."""
    return sign_in(page, connected_server.url)


def _rows(page: Any) -> int:
    count: int = page.locator("#teammates tbody tr").count()
    return count


def test_full_sync_from_the_sync_page_shows_progress_then_outcome(
    admin_page: Any, connected_server: LiveServer
) -> None:
    """Full sync: a progress bar appears at once, then the outcome; history and last sync refresh."""
    page = admin_page
    page.goto(connected_server.url + "/sync/")
    page.get_by_text("No sync has run yet.").first.wait_for()
    assert_accessible(page, "/sync/ before the first sync")
    page.get_by_role("button", name="Full sync").click()
    page.locator("#sync-progress progress").wait_for()  # "starting" or "in progress": a labelled bar
    assert page.get_by_label(re.compile("Sync progress|Users processed")).count() == 1
    outcome = page.locator("#sync-outcome")
    outcome.wait_for(timeout=30_000)
    assert re.search(r"Full sync finished in .*: 26 created", " ".join(outcome.inner_text().split()))
    assert page.locator("#sync-progress[data-polling]").count() == 0  # polling stopped
    page.locator("#sync-runs tbody tr").first.wait_for()  # the history refreshed itself
    assert "Succeeded" in page.locator("#sync-runs tbody tr").first.inner_text()
    page.locator("#sync-last").get_by_text("Succeeded").wait_for()
    assert_accessible(page, "/sync/ after a sync")


def test_typing_in_the_search_filters_the_teammates_table(
    admin_page: Any, connected_server: LiveServer
) -> None:
    """The table narrows as you type (no button), the address bar follows, and a row opens the teammate."""
    from tests.sync.helpers import ok

    ok(connected_server.app)
    with connected_server.app.app_context(), db.session_scope(writer=False) as session:
        someone = session.exec(
            select(Teammate).where(col(Teammate.display_name) != "").order_by(col(Teammate.id).desc())
        ).first()
        assert someone is not None
        name = someone.display_name
    page = admin_page
    page.goto(connected_server.url + "/teammates/")
    page.locator("#teammates tbody tr").first.wait_for()
    assert _rows(page) == 26
    assert_accessible(page, "/teammates/ with 26 teammates")
    page.get_by_label("Search by name or email").press_sequentially(name, delay=20)
    expect(page.locator("#teammates tbody tr")).to_have_count(1)
    assert page.locator("#teammates tbody tr").first.get_by_role("link").inner_text() == name
    assert "q=" in page.url  # hx-push-url: the search is in the address bar
    page.get_by_label("Search by name or email").fill("no such person anywhere")
    page.get_by_text("No teammate matches this search").wait_for()
    page.get_by_label("Search by name or email").fill("")
    expect(page.locator("#teammates tbody tr")).to_have_count(26)
    page.get_by_role("link", name="Email").click()  # sort by email; the search keeps the sort
    page.locator('th[aria-sort="ascending"]').get_by_text("Email").wait_for()
    page.get_by_role("link", name=name).click()
    page.get_by_role("heading", name=name).wait_for()
    page.get_by_role("heading", name="Okta profile").wait_for()
    assert_accessible(page, "a teammate's page")
