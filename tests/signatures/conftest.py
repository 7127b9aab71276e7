"""Fixtures for the signatures tests: an org with smart fields, two published templates, a rule for
Sales and a default, three teammates; helpers that change things the way their areas do and send
the same signals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from tests.conftest import AuthActions
from tests.sync.conftest import Connected, connect
from tests.teammates.factories import gen_run, gen_teammate
from webapp.db import utcnow
from webapp.extensions import db
from webapp.fields.models import FieldSource, SmartField
from webapp.fields.signals import fields_changed
from webapp.rules.evaluate import Operator
from webapp.rules.models import DEFAULT_ROW_ID, AssignmentDefault, AssignmentRule
from webapp.rules.signals import rules_changed
from webapp.signature_templates.models import SignatureTemplate, TemplateVersion
from webapp.signature_templates.signals import template_published
from webapp.signatures.causes import Cause
from webapp.signatures.models import CauseKind, Signature, SignatureChange
from webapp.signatures.service import render_count, rerender
from webapp.teammates.models import ChangeKind, SourceRecord, Teammate, TeammateChange
from webapp.teammates.signals import teammates_changed

FIELDS = {"display_name": "displayName", "job_title": "title", "department": "department"}
SALES_HTML = "<p><strong>{{ display_name }}</strong>, {{ job_title }}, {{ department }} team</p>"
STANDARD_HTML = "<p>{{ display_name }} | {{ job_title }}</p>"


@dataclass(frozen=True)
class World:
    """The seeded org: template ids, the Sales rule and teammate ids by first name."""

    app: Flask
    sales: int
    standard: int
    rule: int
    people: dict[str, int]


def gen_template(session: Session, name: str, html: str) -> int:
    """A template with one published version; returns its id."""
    template = SignatureTemplate(name=name, draft_html=html)
    session.add(template)
    session.flush()
    assert template.id is not None
    session.add(TemplateVersion(template_id=template.id, number=1, html=html))
    session.flush()
    return template.id


@pytest.fixture
def world(app: Flask) -> World:
    """Ada in Sales (rule "Sales team" -> Sales), Bob and Cy in Engineering (default: Standard),
    everyone rendered once."""
    return seed_world(app)


def seed_world(app: Flask) -> World:
    """The `world` fixture's org in `app` (a live server's too)."""
    with app.app_context(), db.session_scope() as session:
        for position, (key, attribute) in enumerate(FIELDS.items()):
            label = key.replace("_", " ").capitalize()
            session.add(
                SmartField(
                    key=key, label=label, source=FieldSource.OKTA, attribute=attribute, position=position
                )
            )
        sales = gen_template(session, "Sales", SALES_HTML)
        standard = gen_template(session, "Standard", STANDARD_HTML)
        rule = AssignmentRule(
            name="Sales team",
            template_id=sales,
            position=1,
            conditions=[{"field": "department", "op": Operator.IS.value, "value": "Sales"}],
        )
        session.add(rule)
        session.add(AssignmentDefault(id=DEFAULT_ROW_ID, template_id=standard))
        people = {
            "Ada": gen_teammate(session, name="Ada Lovelace", department="Sales", title="Engineer"),
            "Bob": gen_teammate(session, name="Bob Babbage", department="Engineering", title="Engineer"),
            "Cy": gen_teammate(session, name="Cy Hopper", department="Engineering", title="Designer"),
        }
        session.flush()
        assert rule.id is not None
        ids = {name: teammate.id for name, teammate in people.items() if teammate.id is not None}
    with app.app_context():
        rerender(teammate_ids=None, cause=Cause(CauseKind.INITIAL))
    return World(app=app, sales=sales, standard=standard, rule=rule.id, people=ids)


@pytest.fixture
def connected(app: Flask, client: FlaskClient, auth: AuthActions, sandbox: Any) -> Connected:
    """Signet connected to the `sandbox` org (as in the sync tests)."""
    return connect(app, client, auth, sandbox)


def renders(app: Flask) -> int:
    """Signatures the app rendered so far."""
    return render_count(app)


def okta_change(app: Flask, teammate_id: int, **attributes: Any) -> int:
    """Change a teammate's Okta profile as a sync does (record, history row of a run), then send
    `teammates_changed` after the commit; returns the run id."""
    with app.app_context(), db.session_scope() as session:
        run = gen_run(session)
        record = session.exec(select(SourceRecord).where(col(SourceRecord.teammate_id) == teammate_id)).one()
        old = dict(record.profile)
        record.profile = {**old, **attributes}
        session.add(record)
        session.add(
            TeammateChange(
                teammate_id=teammate_id,
                source_record_id=record.id,
                sync_run_id=run.id,
                kind=ChangeKind.UPDATED,
                changes={name: [old.get(name), value] for name, value in attributes.items()},
            )
        )
        run_id = run.id
    teammates_changed.send(app, teammate_ids=frozenset({teammate_id}), sync_run_id=run_id)
    assert run_id is not None
    return run_id


def deactivate(app: Flask, teammate_id: int) -> None:
    """Deactivate a teammate as the end of a sync does, then send `teammates_changed`."""
    with app.app_context(), db.session_scope() as session:
        run = gen_run(session)
        teammate = session.get(Teammate, teammate_id)
        assert teammate is not None
        teammate.active = False
        teammate.deactivated_at = utcnow()
        session.add(teammate)
        session.add(
            TeammateChange(
                teammate_id=teammate_id,
                sync_run_id=run.id,
                kind=ChangeKind.DEACTIVATED,
                status_to="DEPROVISIONED",
            )
        )
        run_id = run.id
    teammates_changed.send(app, teammate_ids=frozenset({teammate_id}), sync_run_id=run_id)


def publish(app: Flask, template_id: int, html: str) -> int:
    """Publish `html` as the template's next version and send `template_published`; returns its number."""
    with app.app_context(), db.session_scope() as session:
        numbers = session.exec(
            select(TemplateVersion.number).where(col(TemplateVersion.template_id) == template_id)
        ).all()
        number = max(numbers) + 1
        session.add(TemplateVersion(template_id=template_id, number=number, html=html))
    template_published.send(app, template_id=template_id, version=number)
    return number


def add_rule(app: Flask, name: str, template_id: int, department: str, *, position: int) -> None:
    """Add a rule "department is `department`" and send `rules_changed` for everyone."""
    with app.app_context(), db.session_scope() as session:
        session.add(
            AssignmentRule(
                name=name,
                template_id=template_id,
                position=position,
                conditions=[{"field": "department", "op": Operator.IS.value, "value": department}],
            )
        )
    rules_changed.send(app, teammate_ids=None)


def change_fields(app: Flask, *keys: str) -> None:
    """Send `fields_changed` for `keys` and everyone (as the fields pages do after a save)."""
    fields_changed.send(app, field_keys=frozenset(keys), teammate_ids=None)


def signature(app: Flask, teammate_id: int) -> Signature | None:
    """The teammate's current signature."""
    with app.app_context(), db.session_scope(writer=False) as session:
        return session.exec(select(Signature).where(col(Signature.teammate_id) == teammate_id)).first()


def history(app: Flask, teammate_id: int) -> list[SignatureChange]:
    """The teammate's signature history, oldest first."""
    with app.app_context(), db.session_scope(writer=False) as session:
        return list(
            session.exec(
                select(SignatureChange)
                .where(col(SignatureChange.teammate_id) == teammate_id)
                .order_by(col(SignatureChange.id))
            ).all()
        )
