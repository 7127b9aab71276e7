"""The signature pages in a real browser: accessible (axe-core), no CSP violation, and the preview
frame shows the signature with its styles while running nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.axe_check import assert_accessible
from tests.browser.signin import create_admin, sign_in
from tests.conftest import LiveServer
from tests.signatures.conftest import history, okta_change, seed_world

pytestmark = pytest.mark.browser


def test_history_diff_and_teammate_panel_are_accessible(page: Any, live_server: LiveServer) -> None:
    """History, diff, teammate page and Teammates table pass axe-core; the frame shows the signature."""
    world = seed_world(live_server.app)
    okta_change(live_server.app, world.people["Bob"], title="Senior Engineer")
    create_admin(live_server)
    sign_in(page, live_server.url)
    assert_accessible(page, "dashboard with signatures")
    bob = world.people["Bob"]
    page.goto(f"{live_server.url}/teammate-signatures/{bob}")
    frame = page.frame_locator("#signature-current iframe")
    frame.get_by_text("Bob Babbage | Senior Engineer").wait_for()
    assert_accessible(page, "signature history")
    latest = history(live_server.app, bob)[-1]
    page.goto(f"{live_server.url}/teammate-signatures/{bob}/changes/{latest.id}")
    page.get_by_role("heading", name="Why it changed").wait_for()
    assert_accessible(page, "signature diff")
    page.goto(f"{live_server.url}/teammates/{bob}")
    page.get_by_role("heading", name="Signature", exact=True).wait_for()
    assert_accessible(page, "teammate page with the signature panel")
    page.goto(f"{live_server.url}/teammates/?template={world.standard}")
    assert_accessible(page, "teammates filtered by template")
    page.goto(f"{live_server.url}/teammate-signatures/")
    assert_accessible(page, "teammate signatures")
