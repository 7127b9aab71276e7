"""The Assignments pages in a real browser: drag-and-drop reordering with its preview, the rule editor
with htmx (add and remove a condition, preview, confirm), a manual assignment, and axe-core on every
page on the way (the list, the editor, the previews, the manual page)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.axe_check import assert_accessible
from tests.browser.signin import create_admin, sign_in
from tests.conftest import LiveServer
from tests.rules.factories import Org, gen_rule, seed_org
from webapp.extensions import db
from webapp.rules import store
from webapp.rules.evaluate import Operator

pytestmark = pytest.mark.browser
BASE = "/signatures/assignments"


def _sign_in(page: Any, live_server: LiveServer) -> None:
    create_admin(live_server)
    sign_in(page, live_server.url)


def _rule_names(live_server: LiveServer) -> list[str]:
    with live_server.app.app_context(), db.session_scope(writer=False) as session:
        return [rule.name for rule in store.list_rules(session=session)]


def _seed(live_server: LiveServer) -> tuple[Org, list[int]]:
    org = seed_org(live_server.app)
    with live_server.app.app_context(), db.session_scope() as session:
        ids = [
            gen_rule(session, "A", org.sales, ("department", Operator.IS, "Sales"), position=1),
            gen_rule(session, "B", org.standard, ("job_title", Operator.STARTS_WITH, "VP"), position=2),
        ]
    return org, ids


def test_drag_a_rule_then_confirm_the_new_order(page: Any, live_server: LiveServer) -> None:
    """Dragging rule B above A shows the preview (Bob changes template); confirming saves the order."""
    _org, (first, second) = _seed(live_server)
    _sign_in(page, live_server)
    page.goto(live_server.url + BASE + "/")
    page.get_by_role("heading", name="Assignments", exact=True).wait_for()
    assert_accessible(page, "the Assignments page")
    page.drag_and_drop(f"#rule-{second}", f"#rule-{first}", target_position={"x": 10, "y": 3})
    page.get_by_role("heading", name="Review the change").wait_for()
    assert "1 teammate changes signature" in page.locator("#change-impact").inner_text()
    assert_accessible(page, "the reorder preview")
    assert _rule_names(live_server) == ["A", "B"]
    page.get_by_role("button", name="Save the new order").click()
    page.get_by_text("New rule order saved.").wait_for()
    assert _rule_names(live_server) == ["B", "A"]


def test_create_a_rule_with_htmx(page: Any, live_server: LiveServer) -> None:
    """The editor adds and removes a condition in place, previews the effect, and saves on Confirm."""
    org, _ids = _seed(live_server)
    _sign_in(page, live_server)
    page.goto(live_server.url + BASE + "/rules/new")
    assert_accessible(page, "the new-rule form")
    page.get_by_label("Name").fill("Engineers")
    page.get_by_label("Template").select_option(str(org.standard))
    page.get_by_label("Smart field of condition 1").select_option("department")
    page.get_by_label("Value of condition 1").fill("engineering")
    page.get_by_role("button", name="Add condition").click()
    page.get_by_label("Value of condition 2").wait_for()
    assert page.get_by_label("Value of condition 1").input_value() == "engineering"
    page.get_by_role("button", name="Remove condition 2").click()
    page.get_by_label("Value of condition 2").wait_for(state="detached")
    page.get_by_role("button", name="Preview the change", exact=True).click()
    page.get_by_text("1 teammate changes signature").wait_for()
    assert "Dee Eng: No signature → Standard" in page.locator("#change-impact").inner_text().replace(
        " :", ":"
    )
    assert_accessible(page, "the new-rule preview")
    assert _rule_names(live_server) == ["A", "B"]
    page.get_by_role("button", name="Confirm and save").click()
    page.get_by_text("Rule “Engineers” saved.").wait_for()
    assert _rule_names(live_server) == ["A", "B", "Engineers"]


def test_invalid_rule_shows_errors_in_place(page: Any, live_server: LiveServer) -> None:
    """Previewing an incomplete rule shows each problem next to its field (422 swapped by htmx)."""
    org, _ids = _seed(live_server)
    _sign_in(page, live_server)
    page.goto(live_server.url + BASE + "/rules/new")
    page.get_by_label("Name").fill("   ")  # passes the browser's `required`, not Signet's check
    page.get_by_label("Template").select_option(str(org.sales))
    page.get_by_role("button", name="Preview the change", exact=True).click()
    page.get_by_text("Give the rule a name").wait_for()
    page.get_by_text("Choose the smart field this condition tests.").wait_for()
    page.get_by_text("Type the value to compare with").wait_for()
    assert_accessible(page, "the new-rule form with errors")


def test_set_one_teammate_by_hand(page: Any, live_server: LiveServer) -> None:
    """The manual page previews "no signature" for one teammate, then saves and goes to their page."""
    org, _ids = _seed(live_server)
    ada = org.people["Ada Sales"]
    _sign_in(page, live_server)
    page.goto(f"{live_server.url}{BASE}/teammates/{ada}")
    assert_accessible(page, "the manual-assignment page")
    page.get_by_label("Template for Ada Sales").select_option(label="No signature")
    page.get_by_role("button", name="Preview the change").click()
    page.get_by_text("1 teammate changes signature").wait_for()
    assert_accessible(page, "the manual-assignment preview")
    page.get_by_role("button", name="Confirm and save").click()
    page.wait_for_url(f"{live_server.url}/teammates/{ada}")
    with live_server.app.app_context(), db.session_scope(writer=False) as session:
        manual = store.get_manual(session=session, teammate_id=ada)
    assert manual is not None and manual.template_id is None


def test_delete_preview_is_accessible(page: Any, live_server: LiveServer) -> None:
    """The delete confirmation names who changes and passes axe-core."""
    _org, (first, _second) = _seed(live_server)
    _sign_in(page, live_server)
    page.goto(f"{live_server.url}{BASE}/rules/{first}/delete")
    page.get_by_text("3 teammates change signature").wait_for()
    assert_accessible(page, "the delete preview")
    page.get_by_role("button", name="Delete rule").click()
    page.get_by_text("Rule “A” deleted.").wait_for()
    assert _rule_names(live_server) == ["B"]
