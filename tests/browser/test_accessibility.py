"""axe-core on every page a new admin sees: no serious or critical violations anywhere.

Pages are enumerated from the URL map (every GET route without arguments), so a new page is
checked without anyone remembering to add it here; the wizard's ten steps and the Settings page
with an invitation link on it are checked too.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.axe_check import assert_accessible, blocking_violations
from tests.browser.signin import create_admin, sign_in
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser
# Routes that are not pages: they redirect, answer JSON, or start the Okta flow in a popup.
NOT_PAGES = {"static", "health.healthz", "setup.connect", "setup.callback", "auth.logout"}


def _page_endpoints(live_server: LiveServer) -> list[str]:
    paths = []
    for rule in live_server.app.url_map.iter_rules():
        if "GET" in (rule.methods or set()) and not rule.arguments and rule.endpoint not in NOT_PAGES:
            paths.append(rule.rule)
    return sorted(set(paths))


def _sign_in(page: Any, live_server: LiveServer) -> None:
    create_admin(live_server)
    sign_in(page, live_server.url)


def test_first_run_and_sign_in_pages_are_accessible(page: Any, live_server: LiveServer) -> None:
    """The first-admin page and the sign-in page have no serious or critical axe violations."""
    page.goto(live_server.url + "/")
    page.get_by_role("button", name="Create admin account").wait_for()
    assert_accessible(page, "/setup/admin")
    page.get_by_role("button", name="Create admin account").click()  # empty form: the errors too
    assert_accessible(page, "/setup/admin with errors")


def test_every_page_is_accessible(page: Any, live_server: LiveServer) -> None:
    """Every page reachable from the URL map, signed in, passes axe-core (serious and critical)."""
    _sign_in(page, live_server)
    paths = _page_endpoints(live_server)
    assert "/settings/" in paths and "/setup/okta" in paths, paths
    failures = []
    for path in paths:
        page.goto(live_server.url + path)
        failures += [f"{path}: {problem}" for problem in blocking_violations(page)]
    assert not failures, "\n".join(failures)


def test_every_wizard_step_is_accessible(page: Any, live_server: LiveServer) -> None:
    """Each of the ten steps, reached by the wizard's own buttons, passes axe-core and names itself."""
    _sign_in(page, live_server)
    page.goto(live_server.url + "/setup/okta")
    for number in range(1, 11):
        page.goto(f"{live_server.url}/setup/okta?step={number}")
        page.locator(f'#wizard-step[data-step="{number}"]').wait_for()
        assert page.title().startswith(f"Step {number} of 10: "), page.title()
        assert_accessible(page, f"wizard step {number}")


def test_empty_client_id_shows_its_error_without_csp_violations(page: Any, live_server: LiveServer) -> None:
    """Saving step 7 empty shows a specific error; the page fixture fails on any CSP violation."""
    _sign_in(page, live_server)
    page.goto(live_server.url + "/setup/okta?step=7")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_text("Paste the Client ID from the app's General tab.").first.wait_for()
    assert page.locator('#wizard-step[data-step="7"]').count() == 1
    assert page.url.endswith("/setup/okta?step=7")
    assert_accessible(page, "step 7 with an error")


def test_settings_with_an_invitation_link_is_accessible(page: Any, live_server: LiveServer) -> None:
    """The invitation link box is labelled and the invitations table has no empty header."""
    _sign_in(page, live_server)
    page.goto(live_server.url + "/settings/")
    page.locator("#admins").get_by_label("Email").fill("bob@acme.example")
    page.get_by_role("button", name="Create invitation").click()
    page.locator("#invite-link").wait_for()
    assert_accessible(page, "Settings with an invitation link")
