"""The signature pages: history (page and fragment), diff, sandboxed previews, the teammate panel,
the Teammates table's Signature column and Template filter, the dashboard, render everything again."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.conftest import AuthActions
from tests.helpers import page_text, visible_text
from tests.signatures.conftest import World, deactivate, history, okta_change, publish
from webapp.extensions import db
from webapp.rules.signals import rules_changed
from webapp.sources.base import TeammateState
from webapp.teammates.models import Teammate


def test_history_page_shows_the_signature_safely_and_why_it_changed(
    client: FlaskClient, signed_in: AuthActions, world: World
) -> None:
    """The full page: heading, sandboxed preview frame in an hx-disable box, plain text, causes."""
    okta_change(world.app, world.people["Bob"], title="Senior Engineer")
    response = client.get(f"/teammate-signatures/{world.people['Bob']}")
    assert response.status_code == 200
    body = page_text(response)
    assert "<h1>Signature history of Bob Babbage</h1>" in body
    assert '<div class="signature-preview" hx-disable>' in body
    assert f'<iframe sandbox="" src="/teammate-signatures/{world.people["Bob"]}/preview"' in body
    text = visible_text(response)
    assert "Bob Babbage | Senior Engineer" in text  # the plain-text version
    assert "Okta: title changed from “Engineer” to “Senior Engineer”" in text
    assert "First signature" in text and "2 changes" in text


def test_history_fragment_is_only_the_history(
    htmx_client: FlaskClient, signed_in: AuthActions, world: World
) -> None:
    """htmx gets the history section alone (pagination swaps it), with the document title."""
    response = htmx_client.get(f"/teammate-signatures/{world.people['Ada']}?page=1")
    body = page_text(response)
    assert response.status_code == 200 and body.lstrip().startswith("<section")
    assert 'id="signature-history"' in body and "<h1>" not in body and "<title>" in body


def test_diff_marks_added_and_removed_lines_with_symbols_and_words(
    client: FlaskClient, htmx_client: FlaskClient, signed_in: AuthActions, world: World
) -> None:
    """The change page diffs text and HTML against the entry before; + / − and words, not colour."""
    okta_change(world.app, world.people["Bob"], title="Senior Engineer")
    latest = history(world.app, world.people["Bob"])[-1]
    url = f"/teammate-signatures/{world.people['Bob']}/changes/{latest.id}"
    response = client.get(url)
    body = page_text(response)
    assert response.status_code == 200 and "<h1>Signature change of Bob Babbage" in body
    removed = '<del><span class="visually-hidden">Removed: </span><span aria-hidden="true">− </span>'
    added = '<ins><span class="visually-hidden">Added: </span><span aria-hidden="true">+ </span>'
    assert removed + "Bob Babbage | Engineer</del>" in body
    assert added + "Bob Babbage | Senior Engineer</ins>" in body
    assert "1 added, 1 removed" in visible_text(response)
    first = history(world.app, world.people["Bob"])[0]
    assert (
        f'href="/teammate-signatures/{world.people["Bob"]}/changes/{first.id}" rel="prev">Earlier change'
        in body
    )
    earlier = page_text(client.get(f"/teammate-signatures/{world.people['Bob']}/changes/{first.id}"))
    assert (
        f'changes/{latest.id}" rel="next">Later change' in earlier and "This is the first version" in earlier
    )
    fragment = page_text(htmx_client.get(url))
    assert (
        fragment.lstrip().startswith("<section")
        and 'id="signature-diff"' in fragment
        and "<h1>" not in fragment
    )
    assert client.get(f"/teammate-signatures/{world.people['Ada']}/changes/{latest.id}").status_code == 404


def test_preview_serves_the_signature_under_its_own_strict_policy(
    client: FlaskClient, signed_in: AuthActions, world: World
) -> None:
    """The preview frame's document: the signature, no script allowed, framable only by Signet."""
    response = client.get(f"/teammate-signatures/{world.people['Ada']}/preview")
    assert response.status_code == 200 and "Ada Lovelace" in page_text(response)
    policy = response.headers["Content-Security-Policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy and "frame-ancestors 'self'" in policy
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    first = history(world.app, world.people["Ada"])[0]
    assert (
        client.get(f"/teammate-signatures/{world.people['Ada']}/changes/{first.id}/preview").status_code
        == 200
    )
    deactivate(world.app, world.people["Cy"])
    assert client.get(f"/teammate-signatures/{world.people['Cy']}/preview").status_code == 404


def test_teammate_page_says_which_template_and_why(
    client: FlaskClient, signed_in: AuthActions, world: World
) -> None:
    """The Signature panel names the template, the rule with its conditions, and links to the history."""
    response = client.get(f"/teammates/{world.people['Ada']}")
    body = page_text(response)
    assert 'id="teammate-signature"' in body and ">Signature</h2>" in body
    text = visible_text(response)
    assert "Sales automatic" in text
    assert "Rule 1 “Sales team”: Department is Sales" in text
    assert f'href="/teammate-signatures/{world.people["Ada"]}"' in body
    assert f'href="/signatures/assignments/teammates/{world.people["Ada"]}"' in body  # manual assignment
    deactivate(world.app, world.people["Cy"])
    text = visible_text(client.get(f"/teammates/{world.people['Cy']}"))
    assert "No signature" in text and "Inactive in Okta: no signature" in text


def test_teammates_table_shows_the_signature_and_filters_by_template(
    client: FlaskClient, htmx_client: FlaskClient, signed_in: AuthActions, world: World
) -> None:
    """A "Signature" column (template, manual/automatic/none) and a Template filter done in SQL."""
    deactivate(world.app, world.people["Cy"])
    text = visible_text(client.get("/teammates/"))
    assert "Signature" in text and "Sales automatic" in text and "Standard automatic" in text
    page = page_text(client.get("/teammates/"))
    assert '<select name="template"' in page and f'<option value="{world.sales}" >Sales</option>' in page
    only_sales = visible_text(htmx_client.get(f"/teammates/?template={world.sales}"))
    assert (
        "Ada Lovelace" in only_sales and "Bob Babbage" not in only_sales and "1–1 of 1 teammate" in only_sales
    )
    none = visible_text(client.get("/teammates/?template=none"))
    assert "Cy Hopper" in none and "Ada Lovelace" not in none
    assert "1–3 of 3" in visible_text(client.get("/teammates/?template=nonsense"))


def test_dashboard_counts_signatures_and_lists_the_latest_changes(
    client: FlaskClient, signed_in: AuthActions, world: World
) -> None:
    """With a signature, with missing data, active without one, the latest changes and errors."""
    okta_change(world.app, world.people["Bob"], title="")  # job_title now missing for Bob
    deactivate(world.app, world.people["Cy"])
    publish(world.app, world.sales, "<p>{{ display_name.__class__ }}</p>")
    text = visible_text(client.get("/"))
    assert "With a current signature 2" in text
    assert "With missing data 1" in text
    assert 'href="/smart-fields/missing"' in page_text(client.get("/"))
    assert "Active without a signature 0" in text
    assert "Signature removed: deactivated in Okta" in text
    assert "Some signatures could not be rendered." in text and "Template “Sales” version 2" in text


def test_signatures_page_lists_changes_and_renders_everything_again(
    client: FlaskClient, htmx_client: FlaskClient, signed_in: AuthActions, world: World
) -> None:
    """The index lists everyone's changes (page and fragment); the button re-renders and says what changed."""
    response = client.get("/teammate-signatures/")
    assert response.status_code == 200 and "<h1>Teammate signatures</h1>" in page_text(response)
    assert "Ada Lovelace" in visible_text(response)
    fragment = page_text(htmx_client.get("/teammate-signatures/?page=1"))
    assert 'id="signature-changes"' in fragment and "<h1>" not in fragment
    response = client.post("/teammate-signatures/render-all", follow_redirects=True)
    assert "Rendered 3 signatures: 0 changed." in visible_text(response)


def test_history_is_paged(
    client: FlaskClient, htmx_client: FlaskClient, signed_in: AuthActions, world: World
) -> None:
    """More changes than a page holds: newest first, "Older" leads to the rest."""
    for number in range(21):
        okta_change(world.app, world.people["Bob"], title=f"Engineer {number}")
    first = visible_text(client.get(f"/teammate-signatures/{world.people['Bob']}"))
    assert (
        "22 changes" in first
        and "Page 1 of 2" in first
        and "“Engineer 20”" in first
        and "First signature" not in first
    )
    second = visible_text(htmx_client.get(f"/teammate-signatures/{world.people['Bob']}?page=2"))
    assert "First signature" in second and "Page 2 of 2" in second


def test_everyones_changes_explain_each_teammate_against_their_own_history(
    client: FlaskClient, signed_in: AuthActions, world: World
) -> None:
    """In a list mixing teammates, each first signature says which template and why."""
    text = visible_text(client.get("/teammate-signatures/"))
    assert text.count("First signature") == 3
    assert "No rule matches: the default template “Standard”" in text
    assert "Rule “Sales team” now matches: template “Sales”" in text
    assert text.count("No rule matches: the default template “Standard”") == 2


def test_dashboard_counts_not_yet_active_teammates_apart(
    client: FlaskClient, signed_in: AuthActions, world: World
) -> None:
    """A future hire (Okta STAGED) without a signature is not "active without a signature"."""
    with world.app.app_context(), db.session_scope() as session:
        teammate = session.get(Teammate, world.people["Cy"])
        assert teammate is not None
        teammate.state = TeammateState.NOT_YET_ACTIVE
        session.add(teammate)
    rules_changed.send(world.app, teammate_ids=frozenset({world.people["Cy"]}))
    text = visible_text(client.get("/"))
    assert "Active without a signature 0" in text
    assert "Not yet active in Okta, no signature yet 1" in text
    assert 'href="/teammates/?status=not_yet_active"' in page_text(client.get("/"))
