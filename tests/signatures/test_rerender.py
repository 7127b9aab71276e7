"""Event-driven re-rendering touches exactly what is affected (renders counted), an unchanged hash is
not a change, and the history records why each signature changed."""

from __future__ import annotations

from sqlmodel import select

from tests.signatures.conftest import (
    SALES_HTML,
    STANDARD_HTML,
    World,
    add_rule,
    change_fields,
    deactivate,
    history,
    okta_change,
    publish,
    renders,
    signature,
)
from webapp.extensions import db
from webapp.rules.evaluate import AssignmentReason
from webapp.signatures.causes import Cause, describe
from webapp.signatures.models import CauseKind, SignatureRenderError
from webapp.signatures.service import rerender


def test_first_render_gives_everyone_their_template_with_history(world: World) -> None:
    """The initial render stores each teammate's signature (template, version, rule) and one history row."""
    ada, bob = signature(world.app, world.people["Ada"]), signature(world.app, world.people["Bob"])
    assert ada is not None and bob is not None
    assert (ada.template_id, ada.template_version, ada.rule_id, ada.reason) == (
        world.sales,
        1,
        world.rule,
        AssignmentReason.RULE,
    )
    assert "Ada Lovelace" in ada.html and "Sales team" in ada.text and len(ada.content_hash) == 64
    assert (bob.template_id, bob.reason, bob.rule_id) == (world.standard, AssignmentReason.DEFAULT, None)
    assert renders(world.app) == 3
    [first] = history(world.app, world.people["Ada"])
    assert first.previous_hash is None and first.content_hash == ada.content_hash
    assert first.cause["kind"] == CauseKind.INITIAL
    assert describe(first.cause) == ["First signature"]


def test_one_teammates_okta_change_renders_exactly_one_signature(world: World) -> None:
    """A title change in Okta re-renders that teammate only, and the history says from what to what."""
    before = renders(world.app)
    run_id = okta_change(world.app, world.people["Bob"], title="Senior Engineer")
    assert renders(world.app) - before == 1
    bob = signature(world.app, world.people["Bob"])
    assert bob is not None and "Senior Engineer" in bob.text
    latest = history(world.app, world.people["Bob"])[-1]
    assert latest.cause["kind"] == CauseKind.OKTA and latest.cause["sync_run_id"] == run_id
    assert latest.cause["okta_changes"] == {"title": ["Engineer", "Senior Engineer"]}
    assert latest.previous_hash is not None and latest.previous_hash != latest.content_hash
    assert "Okta: title changed from “Engineer” to “Senior Engineer”" in describe(latest.cause)
    assert len(history(world.app, world.people["Ada"])) == 1  # untouched


def test_unchanged_hash_is_not_a_change(world: World) -> None:
    """An Okta change of an attribute no template uses renders once and writes no history row."""
    before = renders(world.app)
    okta_change(world.app, world.people["Cy"], nickName="Cy")
    assert renders(world.app) - before == 1
    assert len(history(world.app, world.people["Cy"])) == 1


def test_publishing_renders_only_the_templates_assignees(world: World) -> None:
    """Publishing Sales v2 renders Ada (its only assignee), not the Standard teammates."""
    before = renders(world.app)
    number = publish(world.app, world.sales, SALES_HTML.replace("team", "department"))
    assert renders(world.app) - before == 1
    ada = signature(world.app, world.people["Ada"])
    assert ada is not None and ada.template_version == number == 2 and "Sales department" in ada.text
    latest = history(world.app, world.people["Ada"])[-1]
    assert describe(latest.cause)[0] == "Template “Sales” published version 2"
    assert len(history(world.app, world.people["Bob"])) == 1


def test_a_rule_change_renders_only_those_whose_template_changes(world: World) -> None:
    """A new rule moving Engineering to Sales renders Bob and Cy, not Ada, and names the rule."""
    before = renders(world.app)
    add_rule(world.app, "Engineers get Sales", world.sales, "Engineering", position=2)
    assert renders(world.app) - before == 2
    bob = signature(world.app, world.people["Bob"])
    assert bob is not None and bob.template_id == world.sales and bob.reason == AssignmentReason.RULE
    latest = history(world.app, world.people["Bob"])[-1]
    assert latest.cause["kind"] == CauseKind.RULE
    assert describe(latest.cause) == ["Rule “Engineers get Sales” now matches: template “Sales”"]
    assert len(history(world.app, world.people["Ada"])) == 1


def test_a_field_change_renders_only_templates_using_it(world: World) -> None:
    """A change of the `department` field renders Sales signatures only (Standard does not use it)."""
    before = renders(world.app)
    change_fields(world.app, "department")
    assert renders(world.app) - before == 1
    before = renders(world.app)
    change_fields(world.app, "job_title")
    assert renders(world.app) - before == 3
    assert all(len(history(world.app, teammate_id)) == 1 for teammate_id in world.people.values())


def test_inactive_teammate_loses_the_signature_with_a_history_entry(world: World) -> None:
    """Deactivated in Okta: the signature row goes, and the history says so (no render needed)."""
    before = renders(world.app)
    deactivate(world.app, world.people["Cy"])
    assert renders(world.app) == before
    assert signature(world.app, world.people["Cy"]) is None
    removed = history(world.app, world.people["Cy"])[-1]
    assert removed.content_hash is None and removed.previous_hash is not None
    assert removed.reason == AssignmentReason.INACTIVE
    assert describe(removed.cause, removed=True)[0] == "Signature removed: deactivated in Okta"


def test_a_broken_published_template_keeps_the_previous_signature_and_records_the_error(world: World) -> None:
    """A version the renderer refuses never raises: assignees keep their signature, the error is kept
    until a good version renders."""
    previous = signature(world.app, world.people["Bob"])
    publish(world.app, world.standard, "<p>{{ display_name.__class__ }}</p>")
    kept = signature(world.app, world.people["Bob"])
    assert kept is not None and previous is not None and kept.content_hash == previous.content_hash
    with world.app.app_context(), db.session_scope(writer=False) as session:
        [error] = session.exec(select(SignatureRenderError)).all()
        assert (error.template_id, error.template_version, error.teammate_count) == (world.standard, 2, 2)
        assert error.message
    publish(world.app, world.standard, STANDARD_HTML + "<p>v3</p>")
    fixed = signature(world.app, world.people["Bob"])
    assert fixed is not None and fixed.template_version == 3
    with world.app.app_context(), db.session_scope(writer=False) as session:
        assert session.exec(select(SignatureRenderError)).all() == []


def test_render_everyone_again_changes_nothing_when_nothing_changed(world: World) -> None:
    """A manual re-render of everyone renders each active teammate once and records no change."""
    with world.app.app_context():
        result = rerender(teammate_ids=None, cause=Cause(CauseKind.MANUAL, actor="alice@acme.example"))
    assert (result.rendered, result.changed, result.removed, result.failed) == (3, 0, 0, 0)


def test_publish_impact_counts_and_names_teammates_whose_signature_would_change(world: World) -> None:
    """The registered publish impact renders assignees with the new HTML and compares hashes."""
    from webapp.signature_templates.impact import publish_impact

    with world.app.app_context(), db.session_scope(writer=False) as session:
        same = publish_impact(session, world.standard, STANDARD_HTML)
        changed = publish_impact(session, world.standard, STANDARD_HTML + "<p>Call us</p>")
    assert same is not None and (same.count, same.names) == (0, [])
    assert changed is not None and (changed.count, changed.names) == (2, ["Bob Babbage", "Cy Hopper"])
