"""`assignments_for` on stored rules: real teammates and smart-field values, published, unpublished
and archived templates, removed fields, fallbacks, manual rows, and batching."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from flask import Flask
from sqlalchemy import delete, event
from sqlmodel import select

from tests.rules.factories import Org, gen_rule, gen_template, seed_org
from tests.teammates.factories import gen_many_teammates
from webapp.extensions import db
from webapp.fields.models import SmartField
from webapp.rules import store
from webapp.rules.choices import template_catalog
from webapp.rules.evaluate import Assignment, AssignmentReason, Operator, assignments_for, current_rule_set
from webapp.rules.impact import compute_impact
from webapp.rules.models import ManualAssignment
from webapp.teammates.models import Teammate


def reasons(app: Flask, org: Org) -> dict[str, Assignment]:
    """Every seeded teammate's assignment, by name."""
    with app.app_context(), db.session_scope(writer=False) as session:
        found = assignments_for(session=session, teammate_ids=list(org.people.values()))
    return {name: found[teammate_id] for name, teammate_id in org.people.items()}


def test_rules_default_and_inactive_on_stored_data(app: Flask) -> None:
    """Sales (any casing and spacing) get the Sales rule, others the default, the inactive nothing."""
    org = seed_org(app)
    with app.app_context(), db.session_scope() as session:
        rule_id = gen_rule(session, "Sales team", org.sales, ("department", Operator.IS, "sales"), position=1)
        store.set_default(session=session, template_id=org.standard, admin_email=None)
    found = reasons(app, org)
    sales = Assignment(org.sales, AssignmentReason.RULE, rule_id, "Sales team")
    assert found["Ada Sales"] == sales
    assert found["Bob Sales"] == sales
    assert found["Cy Spaces"] == sales
    assert found["Dee Eng"] == Assignment(org.standard, AssignmentReason.DEFAULT)
    assert found["Eve Blank"] == Assignment(org.standard, AssignmentReason.DEFAULT)
    assert found["Fay Gone"] == Assignment(None, AssignmentReason.INACTIVE)


def test_unpublished_templates_are_skipped_archived_ones_keep_working(app: Flask) -> None:
    """A rule, default or manual choice naming a never-published template is passed over; one naming
    an archived template keeps working (archiving promises so), though it is no longer offered."""
    org = seed_org(app)
    with app.app_context(), db.session_scope() as session:
        archived = gen_template(session, "Old", archived=True)
        gen_rule(session, "Drafty", org.draft, ("department", Operator.IS, "Sales"), position=1)
        vp = gen_rule(session, "VPs", org.standard, ("job_title", Operator.STARTS_WITH, "vp"), position=2)
        store.set_default(session=session, template_id=org.draft, admin_email=None)
        store.set_manual(
            session=session, teammate_id=org.people["Dee Eng"], template_id=archived, admin_email=None
        )
        store.set_manual(
            session=session, teammate_id=org.people["Eve Blank"], template_id=org.draft, admin_email=None
        )
    found = reasons(app, org)
    assert found["Ada Sales"] == Assignment(None, AssignmentReason.NONE)  # rule and default skipped
    assert found["Bob Sales"] == Assignment(org.standard, AssignmentReason.RULE, vp, "VPs")
    assert found["Dee Eng"] == Assignment(archived, AssignmentReason.MANUAL)
    assert found["Eve Blank"] == Assignment(None, AssignmentReason.NONE)  # manual skipped: rules decide
    with app.app_context(), db.session_scope(writer=False) as session:
        catalog = template_catalog(session=session)
    assert catalog.assignable() == {org.sales: "Sales", org.standard: "Standard"}
    assert catalog.choices(archived) == {
        org.sales: "Sales",
        org.standard: "Standard",
        archived: "Old (archived)",
    }
    assert catalog.choices(org.draft) == catalog.assignable()


def test_condition_on_a_removed_smart_field_never_matches(app: Flask) -> None:
    """Deleting a smart field makes the rules testing it stop matching (even "is empty")."""
    org = seed_org(app)
    with app.app_context(), db.session_scope() as session:
        gen_rule(session, "No city", org.sales, ("city", Operator.IS_EMPTY, ""), position=1)
    assert reasons(app, org)["Ada Sales"].reason is AssignmentReason.RULE
    with app.app_context(), db.session_scope() as session:
        session.execute(delete(SmartField).where(SmartField.key == "city"))  # type: ignore[arg-type]
    assert reasons(app, org)["Ada Sales"] == Assignment(None, AssignmentReason.NONE)


def test_rules_see_the_teammates_own_value_not_the_fallback(app: Flask) -> None:
    """A fallback fills the signature, but "department is empty" still finds whoever lacks one."""
    org = seed_org(app)
    with app.app_context(), db.session_scope() as session:
        field = session.exec(select(SmartField).where(SmartField.key == "department")).one()
        field.fallback = "Acme"
        gen_rule(session, "No department", org.standard, ("department", Operator.IS_EMPTY, ""), position=1)
    found = reasons(app, org)
    assert found["Eve Blank"].reason is AssignmentReason.RULE
    assert found["Dee Eng"].reason is AssignmentReason.NONE


def test_manual_assignment_overrides_rules(app: Flask) -> None:
    """A manual template or "no signature" wins over a matching rule; an inactive teammate still gets
    nothing."""
    org = seed_org(app)
    with app.app_context(), db.session_scope() as session:
        gen_rule(session, "Sales team", org.sales, ("department", Operator.IS, "Sales"), position=1)
        store.set_manual(
            session=session, teammate_id=org.people["Ada Sales"], template_id=org.standard, admin_email=None
        )
        store.set_manual(
            session=session, teammate_id=org.people["Bob Sales"], template_id=None, admin_email=None
        )
        store.set_manual(
            session=session, teammate_id=org.people["Fay Gone"], template_id=org.sales, admin_email=None
        )
    found = reasons(app, org)
    assert found["Ada Sales"] == Assignment(org.standard, AssignmentReason.MANUAL)
    assert found["Bob Sales"] == Assignment(None, AssignmentReason.MANUAL)
    assert found["Fay Gone"] == Assignment(None, AssignmentReason.INACTIVE)
    with app.app_context(), db.session_scope() as session:
        assert store.clear_manual(session=session, teammate_id=org.people["Ada Sales"]) is True
        assert store.clear_manual(session=session, teammate_id=org.people["Ada Sales"]) is False
        assert len(session.exec(select(ManualAssignment)).all()) == 2


@contextmanager
def counting_queries(app: Flask) -> Iterator[list[str]]:
    """Collect the SQL statements run on the app's engine."""
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_assignments_for_is_batched(app: Flask) -> None:
    """The number of queries does not grow with the number of teammates (every teammate: None)."""
    org = seed_org(app)
    with app.app_context(), db.session_scope() as session:
        gen_rule(session, "Sales team", org.sales, ("department", Operator.IS, "Sales"), position=1)
    with counting_queries(app) as few, app.app_context(), db.session_scope(writer=False) as session:
        small = assignments_for(session=session, teammate_ids=None)
    with app.app_context(), db.session_scope() as session:
        gen_many_teammates(session, 300)
    with counting_queries(app) as many, app.app_context(), db.session_scope(writer=False) as session:
        large = assignments_for(session=session, teammate_ids=None)
    assert len(small) == 6 and len(large) == 306
    assert len(many) == len(few), (few, many)
    inactive = [assignment for assignment in large.values() if assignment.reason is AssignmentReason.INACTIVE]
    with app.app_context(), db.session_scope(writer=False) as session:
        assert len(inactive) == len(session.exec(select(Teammate).where(Teammate.active == False)).all())  # noqa: E712


def test_impact_lists_changed_teammates_by_name_and_ignores_the_inactive(app: Flask) -> None:
    """The impact of a proposed rule set names whose template changes (by name), never an inactive
    teammate, and `reassigned` also has whose reason alone changes."""
    org = seed_org(app)
    with app.app_context(), db.session_scope() as session:
        store.set_default(session=session, template_id=org.sales, admin_email=None)
        gen_rule(session, "Sales team", org.sales, ("department", Operator.IS, "Sales"), position=1)
    with app.app_context(), db.session_scope(writer=False) as session:
        current = current_rule_set(session=session)
        proposed = replace(current, rules=())  # Sales now get Sales by default: same template
        impact = compute_impact(session=session, current=current, proposed=proposed)
        assert impact.count == 0
        assert impact.reassigned == {org.people[name] for name in ("Ada Sales", "Bob Sales", "Cy Spaces")}
        proposed = replace(current, default_template_id=org.standard)
        impact = compute_impact(session=session, current=current, proposed=proposed)
    assert [row.name for row in impact.changed] == ["Dee Eng", "Eve Blank"]
    assert all(
        row.before.template_id == org.sales and row.after.template_id == org.standard
        for row in impact.changed
    )


def test_assume_published_previews_a_first_publish(app: Flask) -> None:
    """`assume_published` counts a never-published template as published (a publish preview): the
    rule pointing at it matches, ahead of the rules and default below it."""
    org = seed_org(app)
    with app.app_context(), db.session_scope() as session:
        rule_id = gen_rule(session, "Drafty", org.draft, ("department", Operator.IS, "Sales"), position=1)
        store.set_default(session=session, template_id=org.standard, admin_email=None)
    ada = org.people["Ada Sales"]
    with app.app_context(), db.session_scope(writer=False) as session:
        now = assignments_for(session=session, teammate_ids=[ada])[ada]
        then = assignments_for(session=session, teammate_ids=[ada], assume_published=[org.draft])[ada]
    assert now == Assignment(org.standard, AssignmentReason.DEFAULT)
    assert then == Assignment(org.draft, AssignmentReason.RULE, rule_id, "Drafty")
