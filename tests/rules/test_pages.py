"""The Assignments pages: the list (page and fragment), the rule editor (with and without htmx), the
impact preview (counts, names, nothing saved), saving (audit, `rules_changed` after commit with the
changed ids), reordering (buttons and the drag-and-drop endpoint), delete, the default, and 422s."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests.helpers import page_text, visible_text
from tests.rules.factories import Org, gen_rule, gen_template, seed_org
from tests.teammates.factories import gen_many_teammates
from webapp.audit.models import AuditEvent
from webapp.db import utcnow
from webapp.extensions import db
from webapp.fields.models import SmartField
from webapp.rules import store
from webapp.rules.evaluate import Operator
from webapp.rules.impact import compute_impact
from webapp.rules.models import AssignmentDefault, AssignmentRule
from webapp.rules.signals import rules_changed
from webapp.signature_templates.models import SignatureTemplate

pytestmark = pytest.mark.usefixtures("signed_in")
BASE = "/signatures/assignments"
SALES_PEOPLE = ("Ada Sales", "Bob Sales", "Cy Spaces")


@pytest.fixture
def org(app: Flask) -> Org:
    """Fields, templates and teammates (see `seed_org`)."""
    return seed_org(app)


@pytest.fixture
def sent(app: Flask) -> Iterator[list[dict[str, Any]]]:
    """Every `rules_changed` the app sends, with how many rules were committed when it was sent."""
    calls: list[dict[str, Any]] = []

    def receive(sender: Flask, **kwargs: Any) -> None:
        with db.session_scope(writer=False) as session:  # a fresh session sees only committed rows
            committed = len(session.exec(select(AssignmentRule)).all())
        calls.append({**kwargs, "committed_rules": committed})

    rules_changed.connect(receive, sender=app)
    yield calls
    rules_changed.disconnect(receive, sender=app)


def text_of(response: Any) -> str:
    """What a reader sees ("Ada Sales: Sales → Standard", the link's end not read as a space)."""
    return visible_text(response).replace(" :", ":")


def rule_rows(app: Flask) -> list[tuple[str, int]]:
    """Stored rules as (name, position), in order."""
    with app.app_context(), db.session_scope(writer=False) as session:
        return [(rule.name, rule.position) for rule in store.list_rules(session=session)]


def audit_actions(app: Flask) -> list[str]:
    """The audit trail's actions, oldest first."""
    with app.app_context(), db.session_scope(writer=False) as session:
        return [event.action for event in session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()]  # type: ignore[arg-type]


def sales_rule_form(org: Org, action: str = "preview", **overrides: Any) -> dict[str, Any]:
    """A rule form giving Sales the Sales template."""
    form = {"name": "Sales team", "template": str(org.sales), "field": "department", "op": "is"}
    form |= {"value": "sales", "action": action, **overrides}
    return form


def test_empty_state_says_to_publish_a_template_first(client: FlaskClient) -> None:
    """Without a published template the page says what to do, with a link to the templates."""
    response = client.get(f"{BASE}/")
    assert response.status_code == 200
    text = text_of(response)
    assert "No assignment rules yet" in text and "Publish a template first" in text
    assert 'href="/signatures/"' in page_text(response)


def test_index_lists_rules_in_order_with_words_and_problems(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    """Each rule shows its position, name, conditions in words, template and teammate count; a rule on
    an unpublished template or a removed field says it is skipped or never matches."""
    with app.app_context(), db.session_scope() as session:
        gen_rule(
            session, "Sales team", org.sales, ("department", Operator.IS_ANY_OF, ["Sales", "Ops"]), position=1
        )
        gen_rule(session, "Drafty", org.draft, ("job_title", Operator.CONTAINS, "VP"), position=2)
        gen_rule(session, "Pronouns", org.standard, ("pronouns", Operator.IS_NOT_EMPTY, ""), position=3)
    text = text_of(client.get(f"{BASE}/"))
    assert "1 Sales team Department is any of Sales, Ops Sales 3" in text
    assert "This template has no published version, so this rule is skipped." in text
    assert "pronouns is not empty" in text
    assert "tests a smart field that no longer exists, so this rule never matches" in text
    assert text.index("Sales team") < text.index("Drafty") < text.index("Pronouns")


def test_index_fragment_is_the_rules_list(
    app: Flask, client: FlaskClient, htmx_client: FlaskClient, org: Org
) -> None:
    """htmx gets only the rules section; the full page has it inside the layout."""
    with app.app_context(), db.session_scope() as session:
        gen_rule(session, "Sales team", org.sales, ("department", Operator.IS, "Sales"), position=1)
    page = page_text(client.get(f"{BASE}/"))
    fragment = page_text(htmx_client.get(f"{BASE}/"))
    assert "<html" in page and 'id="assignment-rules"' in page and 'id="assignment-default"' in page
    assert "<html" not in fragment and 'id="assignment-rules"' in fragment
    assert 'id="assignment-default"' not in fragment and "Sales team" in fragment


def test_add_and_remove_condition_without_javascript(
    client: FlaskClient, htmx_client: FlaskClient, org: Org
) -> None:
    """ "Add condition" and "Remove" are submit buttons that re-render the form with what was typed;
    htmx gets only the editor region."""
    form = sales_rule_form(org, action="add-condition")
    response = client.post(f"{BASE}/rules/new", data=form)
    assert response.status_code == 200
    html = page_text(response)
    assert "<html" in html and 'id="value-1"' in html and 'value="Sales team"' in html
    fragment = page_text(htmx_client.post(f"{BASE}/rules/new", data=form))
    assert "<html" not in fragment and fragment.count('name="field"') == 2 and 'id="rule-editor"' in fragment
    two_rows = {**sales_rule_form(org), "field": ["department", "job_title"], "op": ["is", "contains"]}
    two_rows |= {"value": ["sales", "VP"], "remove": "0"}
    html = page_text(client.post(f"{BASE}/rules/new", data=two_rows))
    assert html.count('name="field"') == 1 and 'value="VP"' in html and 'value="sales"' not in html


def test_preview_counts_and_names_and_saves_nothing(
    app: Flask, client: FlaskClient, org: Org, sent: list[dict[str, Any]]
) -> None:
    """Previewing a new rule shows "3 teammates change signature" with names (old → new) and the
    values in hidden fields; no rule, audit event or signal yet."""
    response = client.post(f"{BASE}/rules/new", data=sales_rule_form(org))
    assert response.status_code == 200
    text = text_of(response)
    assert "3 teammates change signature" in text
    for name in SALES_PEOPLE:
        assert f"{name}: No signature → Sales" in text
    assert "Dee Eng" not in text and "Fay Gone" not in text
    html = page_text(response)
    assert '<input type="hidden" name="name" value="Sales team">' in html
    assert 'name="action" value="save"' in html
    assert rule_rows(app) == [] and "rules.rule_created" not in audit_actions(app) and sent == []


def test_preview_as_htmx_fragment(htmx_client: FlaskClient, org: Org) -> None:
    """htmx gets the preview inside the editor region only."""
    fragment = page_text(htmx_client.post(f"{BASE}/rules/new", data=sales_rule_form(org)))
    assert (
        "<html" not in fragment
        and 'id="rule-editor"' in fragment
        and "3 teammates change signature" in fragment
    )


def test_save_commits_audits_then_signals_changed_ids(
    app: Flask, client: FlaskClient, org: Org, sent: list[dict[str, Any]]
) -> None:
    """Confirming saves the rule, records it, then sends `rules_changed` (after the commit) naming the
    teammates whose assignment changed."""
    response = client.post(f"{BASE}/rules/new", data=sales_rule_form(org, action="save"))
    assert response.status_code == 303 and response.headers["Location"] == f"{BASE}/"
    assert rule_rows(app) == [("Sales team", 1)]
    assert audit_actions(app)[-1] == "rules.rule_created"
    assert len(sent) == 1
    assert sent[0]["teammate_ids"] == frozenset(org.people[name] for name in SALES_PEOPLE)
    assert sent[0]["committed_rules"] == 1
    assert "Rule “Sales team” saved." in text_of(client.get(f"{BASE}/"))


def test_save_with_htmx_redirects_with_hx_redirect(app: Flask, htmx_client: FlaskClient, org: Org) -> None:
    """The htmx Confirm answers HX-Redirect to the list (never a 302 the XHR would follow)."""
    response = htmx_client.post(f"{BASE}/rules/new", data=sales_rule_form(org, action="save"))
    assert response.status_code == 200 and response.headers["HX-Redirect"] == f"{BASE}/"
    assert rule_rows(app) == [("Sales team", 1)]


def test_edit_rule_shows_then_saves(
    app: Flask, client: FlaskClient, org: Org, sent: list[dict[str, Any]]
) -> None:
    """Editing pre-fills the form; the preview names who changes; Confirm saves in place."""
    with app.app_context(), db.session_scope() as session:
        rule_id = gen_rule(session, "Sales team", org.sales, ("department", Operator.IS, "Sales"), position=1)
    html = page_text(client.get(f"{BASE}/rules/{rule_id}/edit"))
    assert 'value="Sales team"' in html and f'<option value="{org.sales}" selected>' in html
    form = sales_rule_form(org, name="VPs", field="job_title", op="starts with", value="VP")
    text = text_of(client.post(f"{BASE}/rules/{rule_id}/edit", data=form))
    assert "2 teammates change signature" in text and "Ada Sales: Sales → No signature" in text
    client.post(f"{BASE}/rules/{rule_id}/edit", data={**form, "action": "save"})
    assert rule_rows(app) == [("VPs", 1)]
    # Bob keeps his template, under the renamed rule: re-rendered too, so his "why" is current.
    assert sent[-1]["teammate_ids"] == frozenset(org.people[name] for name in SALES_PEOPLE)


def test_back_to_edit_keeps_the_values(client: FlaskClient, org: Org) -> None:
    """ "Back to edit" from the preview shows the form with everything as typed."""
    html = page_text(client.post(f"{BASE}/rules/new", data=sales_rule_form(org, action="edit")))
    assert 'value="Sales team"' in html and 'value="sales"' in html and "change signature" not in html


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"field": "shoe_size"}, "There is no smart field with this key"),
        ({"op": "resembles"}, "Choose a comparison from the list."),
        ({"value": "   "}, "Type the value to compare with: “is” needs one."),
        ({"op": "is any of", "value": " , "}, "Type one or more values, separated by commas"),
        ({"name": " "}, "Give the rule a name"),
        ({"name": "x" * 101}, "Keep the name under 100 characters"),
        (
            {"template": "999"},
            "That template can't be given: it has no published version, or it is archived.",
        ),
        (
            {"template": "draft"},
            "That template can't be given: it has no published version, or it is archived.",
        ),
        ({"template": ""}, "Choose the template this rule gives."),
        ({"value": "v" * 201}, "Keep each value under 200 characters."),
        ({"action": "explode"}, "That button is not one of this form's"),
    ],
)
def test_invalid_rule_is_refused_with_422_and_kept(
    app: Flask, client: FlaskClient, org: Org, overrides: dict[str, str], message: str
) -> None:
    """Bad input gets 422, a specific message next to the field, the form as typed, nothing saved."""
    if overrides.get("template") == "draft":
        overrides = {"template": str(org.draft)}
    for action in ("preview", "save"):
        response = client.post(f"{BASE}/rules/new", data={**sales_rule_form(org, action=action), **overrides})
        assert response.status_code == 422, overrides
        assert message in text_of(response)
        assert 'aria-invalid="true"' in page_text(response) or "not one of this form" in message
    assert rule_rows(app) == []


def test_unknown_field_after_removal_is_flagged_in_the_editor(
    app: Flask, client: FlaskClient, org: Org
) -> None:
    """Editing a rule on a removed smart field shows it as "(removed)" and refuses to save it."""
    with app.app_context(), db.session_scope() as session:
        rule_id = gen_rule(session, "City", org.sales, ("city", Operator.IS, "Paris"), position=1)
        session.delete(session.exec(select(SmartField).where(SmartField.key == "city")).one())
    html = page_text(client.get(f"{BASE}/rules/{rule_id}/edit"))
    assert '<option value="city" selected>city (removed)</option>' in html
    form = sales_rule_form(org, field="city", value="Paris", action="save")
    assert client.post(f"{BASE}/rules/{rule_id}/edit", data=form).status_code == 422


def three_rules(app: Flask, org: Org) -> list[int]:
    """Rules A (Sales → Sales), B (VP → Standard), C (Engineering → Standard), in that order."""
    with app.app_context(), db.session_scope() as session:
        return [
            gen_rule(session, "A", org.sales, ("department", Operator.IS, "Sales"), position=1),
            gen_rule(session, "B", org.standard, ("job_title", Operator.STARTS_WITH, "VP"), position=2),
            gen_rule(session, "C", org.standard, ("department", Operator.IS, "Engineering"), position=3),
        ]


def test_move_up_previews_then_saves(
    app: Flask, client: FlaskClient, org: Org, sent: list[dict[str, Any]]
) -> None:
    """Move up shows the effect (Bob moves to B's template) and a Confirm posting the new order."""
    a, b, c = three_rules(app, org)
    response = client.post(f"{BASE}/rules/{b}/move", data={"direction": "up"})
    assert response.status_code == 200
    text = text_of(response)
    assert "1 teammate changes signature" in text and "Bob Sales: Sales → Standard" in text
    assert f'name="order" value="{b},{a},{c}"' in page_text(response)
    assert rule_rows(app) == [("A", 1), ("B", 2), ("C", 3)] and sent == []
    response = client.post(f"{BASE}/reorder", data={"order": f"{b},{a},{c}", "action": "save"})
    assert response.status_code == 303
    assert rule_rows(app) == [("B", 1), ("A", 2), ("C", 3)]
    assert sent[-1]["teammate_ids"] == frozenset({org.people["Bob Sales"]})
    assert audit_actions(app)[-1] == "rules.reordered"


def test_move_down_and_at_the_ends(app: Flask, client: FlaskClient, org: Org) -> None:
    """Move down previews the swap with the rule below; the first can't go up, the last can't go down."""
    a, b, c = three_rules(app, org)
    html = page_text(client.post(f"{BASE}/rules/{a}/move", data={"direction": "down"}))
    assert f'name="order" value="{b},{a},{c}"' in html
    response = client.post(f"{BASE}/rules/{a}/move", data={"direction": "up"})
    assert response.status_code == 303
    assert "already first" in text_of(client.get(f"{BASE}/"))
    assert client.post(f"{BASE}/rules/{c}/move", data={"direction": "down"}).status_code == 303
    assert client.post(f"{BASE}/rules/{c}/move", data={"direction": "sideways"}).status_code == 422
    assert client.post(f"{BASE}/rules/999/move", data={"direction": "up"}).status_code == 404


def test_reorder_endpoint_for_drag_and_drop(
    app: Flask, client: FlaskClient, org: Org, sent: list[dict[str, Any]]
) -> None:
    """The drag-and-drop endpoint previews any complete order, saves it when confirmed, and refuses a
    stale or forged one with 422."""
    a, b, c = three_rules(app, org)
    response = client.post(f"{BASE}/reorder", data={"order": f"{c},{b},{a}", "action": "preview"})
    assert response.status_code == 200 and "Reorder the rules" in text_of(response)
    assert rule_rows(app) == [("A", 1), ("B", 2), ("C", 3)] and sent == []
    for order in (f"{a},{b}", f"{a},{b},{c},{c}", f"{a},{b},999", "x,y,z", ""):
        assert client.post(f"{BASE}/reorder", data={"order": order, "action": "save"}).status_code == 422
    client.post(f"{BASE}/reorder", data={"order": f"{c},{b},{a}", "action": "save"})
    assert rule_rows(app) == [("C", 1), ("B", 2), ("A", 3)]
    assert len(sent) == 1


def test_index_has_drag_and_drop_hooks(app: Flask, client: FlaskClient, org: Org) -> None:
    """Rows carry their ids for rules.js, which fills the hidden reorder form; the script is loaded."""
    a, b, c = three_rules(app, org)
    html = page_text(client.get(f"{BASE}/"))
    assert f'data-rule-id="{a}"' in html and 'id="rules-reorder-form"' in html
    assert f'name="order" value="{a},{b},{c}"' in html and "/static/js/rules.js" in html


def test_delete_previews_then_deletes(
    app: Flask, client: FlaskClient, org: Org, sent: list[dict[str, Any]]
) -> None:
    """Delete shows the effect first (GET saves nothing); confirming deletes and renumbers."""
    a, b, c = three_rules(app, org)
    response = client.get(f"{BASE}/rules/{a}/delete")
    text = text_of(response)
    assert (
        response.status_code == 200
        and "Delete rule “A”" in text
        and "Ada Sales: Sales → No signature" in text
    )
    assert "Bob Sales: Sales → Standard" in text
    assert client.head(f"{BASE}/rules/{a}/delete").status_code == 200
    assert len(rule_rows(app)) == 3
    assert client.post(f"{BASE}/rules/{a}/delete", data={"action": "preview"}).status_code == 200
    assert len(rule_rows(app)) == 3 and sent == []
    client.post(f"{BASE}/rules/{a}/delete", data={"action": "save"})
    assert rule_rows(app) == [("B", 1), ("C", 2)]
    assert sent[-1]["teammate_ids"] == frozenset(org.people[name] for name in SALES_PEOPLE)
    assert audit_actions(app)[-1] == "rules.rule_deleted"


def test_default_template_previews_then_saves(
    app: Flask, client: FlaskClient, org: Org, sent: list[dict[str, Any]]
) -> None:
    """Choosing a default previews who gets it; confirming saves it; "No signature" is a choice."""
    response = client.post(f"{BASE}/default", data={"template": str(org.standard), "action": "preview"})
    assert "5 teammates change signature" in text_of(response)
    with app.app_context(), db.session_scope(writer=False) as session:
        assert session.get(AssignmentDefault, 1) is None
    client.post(f"{BASE}/default", data={"template": str(org.standard), "action": "save"})
    with app.app_context(), db.session_scope(writer=False) as session:
        assert store.get_default(session=session).template_id == org.standard  # type: ignore[union-attr]
    assert len(sent[-1]["teammate_ids"]) == 5
    text = text_of(client.post(f"{BASE}/default", data={"template": "", "action": "preview"}))
    assert "5 teammates change signature" in text and "Ada Sales: Standard → No signature" in text
    for bad in (str(org.draft), "999", "abc", "9" * 40):
        response = client.post(f"{BASE}/default", data={"template": bad, "action": "save"})
        assert response.status_code == 422 and "can't be given" in text_of(response)


def test_preview_names_at_most_fifty(app: Flask, client: FlaskClient, org: Org) -> None:
    """A large change lists 50 names, then "and N more"."""
    with app.app_context(), db.session_scope() as session:
        gen_many_teammates(session, 60)  # 54 active
    text = text_of(client.post(f"{BASE}/default", data={"template": str(org.standard), "action": "preview"}))
    assert "59 teammates change signature" in text and "and 9 more" in text
    assert text.count("→ Standard") == 50


def test_manual_assignment_page_previews_then_saves(
    app: Flask, client: FlaskClient, htmx_client: FlaskClient, org: Org, sent: list[dict[str, Any]]
) -> None:
    """One teammate's page says what they get and why; choosing a template by hand previews only
    them, saves on Confirm (back to their teammate page), and "Follow the rules" undoes it."""
    with app.app_context(), db.session_scope() as session:
        gen_rule(session, "Sales team", org.sales, ("department", Operator.IS, "Sales"), position=1)
    ada = org.people["Ada Sales"]
    url = f"{BASE}/teammates/{ada}"
    text = text_of(client.get(url))
    assert "Signature for Ada Sales" in text and "Rule 1 “Sales team”: Department is Sales" in text
    response = client.post(url, data={"choice": str(org.standard), "action": "preview"})
    text = text_of(response)
    assert "1 teammate changes signature" in text and "Ada Sales: Sales → Standard" in text
    swapped = htmx_client.post(url, data={"choice": "none", "action": "preview"})
    fragment = page_text(swapped)
    assert "<html" not in fragment and 'id="manual-editor"' in fragment
    assert "Ada Sales: Sales → No signature" in text_of(swapped)
    assert sent == []
    response = client.post(url, data={"choice": str(org.standard), "action": "save"})
    assert response.status_code == 303 and response.headers["Location"] == f"/teammates/{ada}"
    assert sent[-1]["teammate_ids"] == frozenset({ada}) and audit_actions(app)[-1] == "rules.manual_set"
    assert "Set by hand" in text_of(client.get(url))
    assert "Ada Sales" in text_of(client.get(f"{BASE}/"))  # listed under "Set by hand"
    client.post(url, data={"choice": "rules", "action": "save"})
    with app.app_context(), db.session_scope(writer=False) as session:
        assert store.get_manual(session=session, teammate_id=ada) is None
    assert audit_actions(app)[-1] == "rules.manual_cleared"


@pytest.mark.parametrize("choice", ["", "999", "draft", "everything", "9" * 40])
def test_manual_assignment_refuses_unknown_choices(client: FlaskClient, org: Org, choice: str) -> None:
    """A choice that is not "Follow the rules", "No signature" or a published template gets 422."""
    choice = str(org.draft) if choice == "draft" else choice
    response = client.post(
        f"{BASE}/teammates/{org.people['Ada Sales']}", data={"choice": choice, "action": "save"}
    )
    assert response.status_code == 422
    assert "Choose “Follow the rules”, “No signature” or a published template." in text_of(response)


def test_manual_assignment_of_an_inactive_or_unknown_teammate(client: FlaskClient, org: Org) -> None:
    """An inactive teammate's page says they get nothing whatever is chosen; an unknown one is 404."""
    text = text_of(client.get(f"{BASE}/teammates/{org.people['Fay Gone']}"))
    assert "Inactive in Okta: no signature" in text and "gets no signature, whatever is chosen here" in text
    assert client.get(f"{BASE}/teammates/424242").status_code == 404


def test_rules_changed_names_everyone_when_rules_changed_meanwhile(
    app: Flask, client: FlaskClient, org: Org, sent: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """If another admin changed the rules between the impact computation and the save, the changed
    ids are unknown: `rules_changed` says anyone may be affected (None)."""

    def then_someone_else_saves(**kwargs: Any) -> Any:
        impact = compute_impact(**kwargs)
        with db.session_scope() as session:
            gen_rule(
                session, "Meanwhile", org.standard, ("department", Operator.IS_NOT_EMPTY, ""), position=9
            )
        return impact

    monkeypatch.setattr("webapp.rules.changes.compute_impact", then_someone_else_saves)
    client.post(f"{BASE}/rules/new", data=sales_rule_form(org, action="save"))
    assert {name for name, _ in rule_rows(app)} == {"Meanwhile", "Sales team"}
    assert sent[-1]["teammate_ids"] is None


def test_archived_template_is_kept_but_not_offered(app: Flask, client: FlaskClient, org: Org) -> None:
    """A rule on an archived template says it still gives it; the new-rule form doesn't offer it, the
    rule's own form does (marked archived), so saving the rule unchanged works."""
    with app.app_context(), db.session_scope() as session:
        old = gen_template(session, "Old")
        rule_id = gen_rule(session, "Legacy", old, ("department", Operator.IS, "Sales"), position=1)
        session.get(SignatureTemplate, old).archived_at = utcnow()  # type: ignore[union-attr]
    assert "Archived: this rule still gives it." in text_of(client.get(f"{BASE}/"))
    assert f'<option value="{old}"' not in page_text(client.get(f"{BASE}/rules/new"))
    assert f'<option value="{old}" selected>Old (archived)</option>' in page_text(
        client.get(f"{BASE}/rules/{rule_id}/edit")
    )
    form = sales_rule_form(org, name="Legacy", template=str(old), action="save")
    assert client.post(f"{BASE}/rules/{rule_id}/edit", data=form).status_code == 303
    new_form = sales_rule_form(org, template=str(old), action="save")
    response = client.post(f"{BASE}/rules/new", data=new_form)
    assert response.status_code == 422 and "can't be given" in text_of(response)
