"""Connecting Okta in a real browser: the wizard, the popup, the sandbox's sign-in and consent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.browser.signin import create_admin, sign_in
from tests.conftest import LiveServer
from webapp.extensions import db
from webapp.sources.okta import store

pytestmark = pytest.mark.browser


@pytest.fixture
def okta_org(live_server: LiveServer, sandbox: Any) -> Iterator[Any]:
    """The sandbox with its SPA app registered for the live server's redirect URI."""
    org = sandbox.sandbox
    org.update_app(org.default_app.client_id, redirect_uris=[live_server.url + "/callbacks/okta"])
    yield sandbox


@pytest.fixture
def admin_page(page: Any, live_server: LiveServer) -> Any:
    """A browser page signed in as an admin."""
    create_admin(live_server)
    sign_in(page, live_server.url)
    page.get_by_text("Connect Okta to get started").wait_for()
    return page


def _prefill_wizard(live_server: LiveServer, *, domain: str, client_id: str) -> None:
    with live_server.app.app_context(), db.session_scope() as session:
        progress = store.get_progress(session=session)
        progress.domain_input, progress.okta_origin, progress.client_id_input = domain, domain, client_id
        progress.completed_steps = list(range(1, 10))
        progress.current_step = 10
        store.save_progress(session=session, progress=progress)


def _wait_closed(popup: Any) -> None:
    """Wait until the popup has closed itself (it may already have)."""
    if not popup.is_closed():
        popup.wait_for_event("close")


def _connect_in_popup(
    page: Any, *, decision: str = "Allow", login: str | None = None, password: str | None = None
) -> Any:
    """Click Connect Okta, sign in and answer consent in the popup; returns the popup page."""
    with page.expect_popup() as popup_info:
        page.locator("a[data-okta-connect]").first.click()
    popup = popup_info.value
    try:
        popup.locator("#okta-signin-username").wait_for(timeout=3000)
    except PlaywrightError:
        return popup  # Okta answered at once (an error redirect) and the popup already closed
    if not popup.is_closed():
        from okta_sandbox import ADMIN_LOGIN, ADMIN_PASSWORD

        popup.locator("#okta-signin-username").fill(login or ADMIN_LOGIN)
        popup.locator("#okta-signin-password").fill(password or ADMIN_PASSWORD)
        popup.get_by_role("button", name="Sign in").click()
        popup.get_by_role("button", name=decision).click()
    return popup


def test_full_wizard_and_popup_connect(admin_page: Any, live_server: LiveServer, okta_org: Any) -> None:
    """Walk all ten steps, connect in the popup with Allow, and see the connected state in the wizard."""
    page = admin_page
    org = okta_org.sandbox
    page.get_by_role("link", name="Start the guided setup").click()
    for number in range(1, 7):
        page.locator(f'#wizard-step[data-step="{number}"]').wait_for()
        if number == 5:
            assert page.locator("#redirect-uri").input_value() == live_server.url + "/callbacks/okta"
            assert page.locator("#base-url-warning").count() == 0
        page.get_by_role("button", name="Done, next step").click()
    page.locator('#wizard-step[data-step="7"]').wait_for()
    page.get_by_label("Client ID").fill(org.default_app.client_id)
    page.locator("#client-id-feedback").get_by_text("Looks like an Okta Client ID.").wait_for()
    page.get_by_role("button", name="Save and continue").click()
    page.locator('#wizard-step[data-step="8"]').wait_for()
    page.get_by_label("Okta domain").fill(okta_org.origin + "/")
    page.locator("#domain-feedback").get_by_text("Found the Okta org").wait_for()
    page.get_by_role("button", name="Save and continue").click()
    page.locator('#wizard-step[data-step="9"]').wait_for()
    assert "step=9" in page.url  # htmx pushed the step into the address bar
    page.reload()  # progress lives on the server: a reload resumes at step 9
    page.locator('#wizard-step[data-step="9"]').wait_for()
    page.get_by_role("button", name="Done, next step").click()
    page.locator('#wizard-step[data-step="10"]').wait_for()

    popup = _connect_in_popup(page)
    _wait_closed(popup)
    summary = page.locator("#connection-summary")
    summary.wait_for()
    host = okta_org.origin.split("://", 1)[1]
    text = " ".join(summary.inner_text().split())
    assert text == f"Connected to {host} by {org.admin_login}."  # users are counted by the first sync


def test_deny_in_popup_shows_step_six(admin_page: Any, live_server: LiveServer, okta_org: Any) -> None:
    """Clicking Deny closes the popup and the wizard explains, pointing at step 6."""
    _prefill_wizard(live_server, domain=okta_org.origin, client_id=okta_org.sandbox.default_app.client_id)
    admin_page.goto(live_server.url + "/setup/okta")
    _wait_closed(_connect_in_popup(admin_page, decision="Deny"))
    problem = admin_page.locator("#connect-problem")
    problem.get_by_text("access was denied").wait_for()
    assert problem.get_attribute("data-code") == "access_denied"
    admin_page.locator('#wizard-step[data-step="6"]').wait_for()  # the wizard opens the step to fix


def test_scope_not_granted_in_popup_shows_step_nine(
    admin_page: Any, live_server: LiveServer, okta_org: Any
) -> None:
    """An okta.* scope missing from the app's grants ends with the step 9 message."""
    org = okta_org.sandbox
    org.update_app(org.default_app.client_id, granted_scopes=frozenset({"okta.users.read"}))
    _prefill_wizard(live_server, domain=okta_org.origin, client_id=org.default_app.client_id)
    admin_page.goto(live_server.url + "/setup/okta")
    popup = _connect_in_popup(admin_page)
    _wait_closed(popup)
    problem = admin_page.locator("#connect-problem")
    problem.wait_for()
    assert problem.get_attribute("data-code") == "invalid_scope"
    admin_page.locator('#wizard-step[data-step="9"]').wait_for()


def test_unassigned_user_in_popup_shows_step_six(
    admin_page: Any, live_server: LiveServer, okta_org: Any
) -> None:
    """A user who is not assigned to the app gets the assignments message."""
    org = okta_org.sandbox
    org.update_app(org.default_app.client_id, assign_everyone=False, assigned_logins=set())
    _prefill_wizard(live_server, domain=okta_org.origin, client_id=org.default_app.client_id)
    admin_page.goto(live_server.url + "/setup/okta")
    with admin_page.expect_popup() as popup_info:
        admin_page.locator("#connect-okta").click()
    popup = popup_info.value
    from okta_sandbox import ADMIN_LOGIN, ADMIN_PASSWORD

    popup.locator("#okta-signin-username").fill(ADMIN_LOGIN)
    popup.locator("#okta-signin-password").fill(ADMIN_PASSWORD)
    popup.get_by_role("button", name="Sign in").click()
    _wait_closed(popup)
    admin_page.locator("#connect-problem").get_by_text("not assigned to the Signet app").wait_for()


def test_wrong_client_id_in_popup_shows_step_seven(
    admin_page: Any, live_server: LiveServer, okta_org: Any
) -> None:
    """A Client ID Okta doesn't know is caught before Okta's page, and the wizard points at step 7."""
    _prefill_wizard(live_server, domain=okta_org.origin, client_id="0oaUNKNOWNUNKNOWN000")
    admin_page.goto(live_server.url + "/setup/okta")
    with admin_page.expect_popup() as popup_info:
        admin_page.locator("#connect-okta").click()
    _wait_closed(popup_info.value)
    problem = admin_page.locator("#connect-problem")
    problem.get_by_text("Okta doesn't know this Client ID").wait_for()
    admin_page.locator('#wizard-step[data-step="7"]').wait_for()


def test_tampered_state_in_browser(admin_page: Any, live_server: LiveServer, okta_org: Any) -> None:
    """A callback with a state Signet never issued shows the start-again message and stores nothing."""
    admin_page.goto(live_server.url + "/callbacks/okta?code=stolen&state=forged-state")
    admin_page.get_by_text("doesn't match a connection Signet started").wait_for()
    admin_page.get_by_text("You can close this window").wait_for()
    with live_server.app.app_context():
        assert store.get_connection(session=db.session) is None


def test_popup_closed_without_callback_points_at_redirect_uri(
    admin_page: Any, live_server: LiveServer, okta_org: Any
) -> None:
    """Redirect URI not registered: Okta shows its error; closing the popup points at step 5."""
    org = okta_org.sandbox
    org.update_app(org.default_app.client_id, redirect_uris=["https://elsewhere.example/callbacks/okta"])
    _prefill_wizard(live_server, domain=okta_org.origin, client_id=org.default_app.client_id)
    admin_page.goto(live_server.url + "/setup/okta")
    with admin_page.expect_popup() as popup_info:
        admin_page.locator("#connect-okta").click()
    popup = popup_info.value
    popup.get_by_text("redirect_uri").first.wait_for()
    popup.close()
    admin_page.locator("#connect-problem").get_by_text("check the Sign-in redirect URI in step 5").wait_for()


def test_connected_then_disconnect_in_browser(
    admin_page: Any, live_server: LiveServer, okta_org: Any
) -> None:
    """Connected, then Disconnect (after confirming): the wizard says access was revoked and data is kept."""
    _prefill_wizard(live_server, domain=okta_org.origin, client_id=okta_org.sandbox.default_app.client_id)
    admin_page.goto(live_server.url + "/setup/okta")
    _wait_closed(_connect_in_popup(admin_page))
    admin_page.locator("#connection-summary").wait_for()
    admin_page.once("dialog", lambda dialog: dialog.accept())
    admin_page.get_by_role("button", name="Disconnect").click()
    admin_page.get_by_text("Signet's access was revoked at Okta").wait_for()
