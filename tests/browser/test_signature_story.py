"""In a real browser, the whole signature story on the sandbox, as an admin drives it: connect Okta, sync,
set up smart fields, publish a standard and a Sales template, assign Sales by a rule and everyone else by
default, see two teammates get different signatures and why, move one into Sales in Okta, sync, and see
the signature follow, the history explain it (with its diff) and the private page show it; and, with
the Okta event hook on, a title change reaching the signature with no sync started by hand."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.axe_check import assert_accessible
from tests.browser.test_sync_and_teammates import admin_page, connected_server  # noqa: F401 - fixtures
from tests.conftest import LiveServer
from webapp.sync import hooks
from webapp.sync.hooks import hook_syncs

pytestmark = pytest.mark.browser

# From the sandbox's seed 1 (okta_sandbox/seed.py): two active teammates in Sales and one in Engineering.
SALES_PEOPLE = ("José Núñez", "Priya Van der Berg")
MOVER = "Daniel Dubois"  # Staff Engineer in Engineering; moved to Sales during the test
STANDARD_HTML = (
    "<p><strong>{{ display_name }}</strong><br>{{ job_title }}, {{ department }}</p><p>Signet Standard</p>"
)
SALES_HTML = (
    "<p><strong>{{ display_name }}</strong> · {{ job_title }}</p><p>{{ department }} · Book a demo</p>"
)
DEPARTMENT_CHANGED = "Okta: department changed from “Engineering” to “Sales”"
SLOW = 60_000  # generous: a loaded 2-core machine runs the sync, the renders and the browser at once


@pytest.fixture(autouse=True)
def patient_expect() -> Iterator[None]:
    """Give every expectation 20 s instead of Playwright's 5 (put back afterwards: the setting is global)."""
    expect.set_options(timeout=20_000)
    yield
    expect.set_options(timeout=5_000)


def _sync(page: Any, url: str, button: str, finished: re.Pattern[str]) -> None:
    """Start a sync from the Sync page and wait for its outcome."""
    page.goto(url + "/sync/")
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.locator("#sync-outcome")).to_have_text(finished, timeout=SLOW)


def _ensure_default_fields(page: Any, url: str) -> None:
    """On the Smart fields page: add the defaults unless the full sync already did."""
    page.goto(url + "/smart-fields/")
    page.get_by_role("heading", name="Smart fields", exact=True).wait_for()
    add = page.get_by_role("button", name="Add default fields")
    if add.count():
        add.click()
    fields = page.locator("#fields-list")
    for key in ("display_name", "job_title", "department"):
        expect(fields).to_contain_text("{{ " + key + " }}")
    assert_accessible(page, "/smart-fields/ with the default fields")


def _create_and_publish(page: Any, url: str, *, name: str, html: str, first: bool = False) -> None:
    """Signatures › New template (blank), type the HTML, publish version 1."""
    page.goto(url + "/signatures/")
    page.get_by_role("link", name="New template").click()
    page.get_by_role("heading", name="New signature template").wait_for()
    if first:
        assert_accessible(page, "/signatures/new")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label(re.compile("^Blank page")).check()
    page.get_by_role("button", name="Create template").click()
    page.get_by_role("heading", name=f"Edit template: {name}").wait_for()
    page.get_by_label("Template HTML").fill(html)
    if first:
        assert_accessible(page, "the template editor with synced teammates")
    page.get_by_role("button", name="Publish…").click()
    page.get_by_role("heading", name=f"Publish “{name}”").wait_for()
    if first:
        assert_accessible(page, "the publish review")
    page.get_by_role("button", name="Publish version 1").click()
    page.get_by_text("Published version 1.").wait_for()


def _add_sales_rule(page: Any, url: str) -> None:
    """Assignments › New rule: department is Sales → Sales; the preview names who changes; confirm."""
    page.goto(url + "/signatures/assignments/")
    page.get_by_role("heading", name="Assignments", exact=True).wait_for()
    assert_accessible(page, "/signatures/assignments/ without rules")
    page.get_by_role("link", name="New rule").click()
    page.get_by_label("Name", exact=True).fill("Sales team")
    page.get_by_label("Template", exact=True).select_option(label="Sales")
    page.get_by_label("Smart field of condition 1").select_option(label="Department")
    page.get_by_label("Comparison of condition 1").select_option(label="is")
    page.get_by_label("Value of condition 1").fill("Sales")
    page.get_by_role("button", name="Preview the change").last.click()
    impact = page.locator("#change-impact")
    expect(impact.get_by_role("heading")).to_have_text(f"{len(SALES_PEOPLE)} teammates change signature")
    for name in SALES_PEOPLE:
        expect(impact.get_by_role("listitem").filter(has_text=name)).to_contain_text("→ Sales")
    expect(impact).not_to_contain_text(MOVER)
    assert_accessible(page, "the new rule's impact preview")
    page.get_by_role("button", name="Confirm and save").click()
    row = page.locator("#rules-table tbody tr").filter(has_text="Sales team")
    expect(row).to_contain_text("Department is Sales")
    expect(row).to_contain_text(str(len(SALES_PEOPLE)))


def _set_default(page: Any, url: str, *, kept: tuple[str, ...] = SALES_PEOPLE) -> None:
    """Assignments › Default template: Standard; the preview names the mover, not those a rule keeps."""
    page.goto(url + "/signatures/assignments/")
    page.get_by_role("combobox", name="Default template").select_option(label="Standard")
    page.locator("#assignment-default").get_by_role("button", name="Preview the change").click()
    impact = page.locator("#change-impact")
    expect(impact.get_by_role("heading")).to_have_text(re.compile(r"^\d+ teammates change signature$"))
    names = impact.locator("#change-impact-list")
    expect(names.get_by_role("listitem").filter(has_text=MOVER)).to_contain_text("→ Standard")
    for name in kept:
        expect(names).not_to_contain_text(name)
    assert_accessible(page, "the default template's impact preview")
    page.get_by_role("button", name="Save the default").click()
    expect(page.locator("#assignment-default")).to_contain_text("Now: Standard")
    assert_accessible(page, "/signatures/assignments/ with a rule and a default")


def _open_teammate(page: Any, url: str, name: str) -> None:
    """Teammates › search by name › the teammate's page."""
    page.goto(url + "/teammates/")
    page.get_by_label("Search by name or email").fill(name)
    expect(page.locator("#teammates tbody tr")).to_have_count(1)
    page.locator("#teammates tbody").get_by_role("link", name=name).click()
    page.get_by_role("heading", name=name, exact=True).wait_for()


def _reload_until(page: Any, selector: str, text: str) -> None:
    """Reload the page until `selector` holds `text`.

    The Sync page shows the outcome once the run is committed; the re-render its changes trigger
    follows a moment later (webapp/sync/engine.py sends `teammates_changed` after the commit), and
    an event hook's sync runs in the background.
    """
    for _ in range(SLOW // 2_000):
        try:
            expect(page.locator(selector)).to_contain_text(text, timeout=2_000)
            return
        except AssertionError:
            page.reload()
    expect(page.locator(selector)).to_contain_text(text)


def _see_signature(page: Any, url: str, name: str, *, template: str, why: str) -> str:
    """Open a teammate; their Signature section names the template and why; returns its plain text."""
    _open_teammate(page, url, name)
    _reload_until(page, "#teammate-signature-why", why)
    section = page.locator("#teammate-signature")
    expect(section).to_contain_text(f"{template} version 1")
    section.get_by_text("Plain text version").click()
    text: str = section.locator(".signature-text pre").inner_text()
    return text


def _create_private_link(page: Any, url: str) -> str:
    """On the open teammate's page: Create link; returns the private address shown."""
    delivery = page.locator("#teammate-delivery")
    delivery.get_by_role("button", name=re.compile("^Create a private link")).click()
    private_url: str = delivery.get_by_label("Private signature link").input_value()
    assert private_url.startswith(url + "/s/")
    return private_url


def _see_private_page(page: Any, private_url: str, *, shows: str, hides: str) -> None:
    """The teammate's private page shows their current signature."""
    page.goto(private_url)
    page.get_by_role("heading", name=f"{MOVER}: your email signature").wait_for()
    copy_box = page.locator("#signature-copy")
    expect(copy_box).to_contain_text(shows)
    expect(copy_box).not_to_contain_text(hides)


def _history_explains_the_move(page: Any) -> None:
    """From the teammate's page: the history's latest entry says why, and its diff shows what."""
    page.locator("#teammate-signature").get_by_role("link", name="Signature history").click()
    page.get_by_role("heading", name=f"Signature history of {MOVER}").wait_for()
    latest = page.locator("#signature-history tbody tr").first
    expect(latest).to_contain_text(DEPARTMENT_CHANGED)
    expect(latest).to_contain_text("Rule “Sales team” now matches: template “Sales”")
    assert_accessible(page, "the signature history")
    latest.get_by_role("link", name="Compare with the version before").click()
    page.get_by_role("heading", name=re.compile(f"^Signature change of {MOVER}")).wait_for()
    diff = page.locator("#signature-diff")
    expect(diff).to_contain_text(DEPARTMENT_CHANGED)
    text_diff = diff.get_by_label("Differences in the plain text")
    expect(text_diff.locator("ins").filter(has_text="Book a demo")).to_have_count(1)
    expect(text_diff.locator("del").filter(has_text="Signet Standard")).to_have_count(1)
    assert_accessible(page, "the signature change with its diff")


def _teammates_by_template(page: Any, url: str) -> None:
    """Teammates, filtered by the Sales template: the two Sales people and the mover, all automatic."""
    page.goto(url + "/teammates/")
    page.get_by_role("combobox", name="Template").select_option(label="Sales")
    rows = page.locator("#teammates tbody tr")
    expect(rows).to_have_count(len(SALES_PEOPLE) + 1)
    for name in (*SALES_PEOPLE, MOVER):
        expect(rows.filter(has_text=name)).to_contain_text("Sales automatic")
    assert_accessible(page, "/teammates/ filtered by template")


def _dashboard_and_delivery(page: Any, url: str) -> None:
    """The dashboard counts every active teammate as signed; Delivery lists the mover's link."""
    page.goto(url + "/")
    summary = page.locator("#signatures-summary")
    # Seed 1 has 26 users: 3 inactive (2 DEPROVISIONED, 1 SUSPENDED) and 2 STAGED (not yet active:
    # no signature by default), so 21 signatures and no active teammate without one.
    expect(summary).to_contain_text(re.compile(r"With a current signature\s+21\b"))
    expect(summary).to_contain_text(re.compile(r"Active without a signature\s+0\b"))
    expect(summary.locator("table")).to_contain_text(MOVER)
    assert_accessible(page, "the dashboard with signatures")
    page.goto(url + "/teammate-signatures/")
    page.get_by_role("heading", level=1).wait_for()
    assert_accessible(page, "/teammate-signatures/")
    page.goto(url + "/delivery/")
    page.get_by_role("heading", name="Delivery", exact=True).wait_for()
    expect(page.get_by_label(f"Private signature link of {MOVER}")).to_have_value(re.compile("/s/"))
    expect(page.locator("#delivery-no-signatures")).to_have_count(0)  # everyone active has one
    assert_accessible(page, "/delivery/ with one link")


def test_signature_follows_a_department_change_in_okta(
    admin_page: Any,  # noqa: F811 - the imported fixture
    connected_server: LiveServer,  # noqa: F811
    sandbox: Any,
) -> None:
    """Connect, sync, template per team, a Sales rule and a default, then move someone into Sales."""
    page, url = admin_page, connected_server.url
    _sync(page, url, "Full sync", re.compile(r"^Full sync finished in [^:]+:\s+26 created"))
    _ensure_default_fields(page, url)
    _create_and_publish(page, url, name="Standard", html=STANDARD_HTML, first=True)
    _create_and_publish(page, url, name="Sales", html=SALES_HTML)
    _add_sales_rule(page, url)
    _set_default(page, url)

    text = _see_signature(page, url, SALES_PEOPLE[0], template="Sales", why="Rule 1 “Sales team”")
    assert "Sales Development Rep" in text and "Book a demo" in text
    assert_accessible(page, "a Sales teammate's page with a signature")
    text = _see_signature(page, url, MOVER, template="Standard", why="Default template")
    assert "Staff Engineer, Engineering" in text and "Signet Standard" in text
    assert "Book a demo" not in text
    assert_accessible(page, "a teammate's page with the default signature")
    private_url = _create_private_link(page, url)
    _see_private_page(page, private_url, shows="Signet Standard", hides="Book a demo")
    assert_accessible(page, "the teammate's private signature page")

    # In Okta, Daniel moves to Sales; the Sync page's incremental sync brings it in.
    org = sandbox.sandbox
    mover = next(user for user in org.list_users() if user["profile"].get("lastName") == "Dubois")
    org.update_user(mover["id"], profile={"department": "Sales"})
    _sync(page, url, "Sync now", re.compile(r"^Sync finished in [^:]+:\s+0 created, 1 updated"))

    text = _see_signature(page, url, MOVER, template="Sales", why="Rule 1 “Sales team”")
    assert "Daniel Dubois · Staff Engineer" in text and "Book a demo" in text
    _history_explains_the_move(page)
    _teammates_by_template(page, url)
    _dashboard_and_delivery(page, url)
    _see_private_page(page, private_url, shows="Book a demo", hides="Signet Standard")


def _turn_on_event_hook(page: Any, url: str, org: Any) -> None:
    """Sync page › Generate secret and turn on; register the shown URL and secret in Okta; verify."""
    page.goto(url + "/sync/")
    page.get_by_role("button", name="Generate secret and turn on").click()
    secret = page.get_by_label("Authentication secret (shown only this once)").input_value()
    endpoint = page.locator("#event-hook-url").inner_text().strip()
    expect(page.locator("#event-hook-state")).to_contain_text("On")
    assert_accessible(page, "/sync/ with the event hook on and its secret shown")
    hook = org.create_event_hook(
        name="Signet", uri=endpoint, events=list(hooks.SYNC_EVENT_TYPES), auth_value=secret
    )
    assert org.verify_event_hook(hook["id"])["verificationStatus"] == "VERIFIED"


def test_with_the_event_hook_a_title_change_reaches_the_signature_unasked(
    admin_page: Any,  # noqa: F811 - the imported fixture
    connected_server: LiveServer,  # noqa: F811
    sandbox: Any,
) -> None:
    """Event hook on: a title changed in Okta re-renders the signature with no sync started by hand."""
    page, url, org = admin_page, connected_server.url, sandbox.sandbox
    org.event_hook_batch_seconds = 0.2
    _sync(page, url, "Full sync", re.compile(r"^Full sync finished in [^:]+:\s+26 created"))
    _ensure_default_fields(page, url)
    _create_and_publish(page, url, name="Standard", html=STANDARD_HTML)
    _set_default(page, url, kept=())
    _turn_on_event_hook(page, url, org)

    mover = next(user for user in org.list_users() if user["profile"].get("lastName") == "Dubois")
    org.update_user(mover["id"], profile={"title": "Principal Engineer"})
    _open_teammate(page, url, MOVER)
    _reload_until(page, "#teammate-signature .signature-text pre", "Principal Engineer, Engineering")
    page.locator("#teammate-signature").get_by_role("link", name="Signature history").click()
    latest = page.locator("#signature-history tbody tr").first
    expect(latest).to_contain_text("Okta: title changed from “Staff Engineer” to “Principal Engineer”")

    page.goto(url + "/sync/")
    expect(page.locator("#event-hook-last")).to_contain_text("user.account.update_profile")
    expect(page.locator("#sync-runs tbody tr").first).to_contain_text("Okta event hook")
    assert_accessible(page, "/sync/ after an event")
    assert org.flush_event_hooks()
    assert hook_syncs.wait_idle(SLOW / 1000)  # no event-hook sync left running past the test
