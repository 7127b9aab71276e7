"""Factories for the rules tests: smart fields and templates made directly through their models
(their areas' own factories may change), and a seeded org of teammates."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from sqlmodel import Session

from tests.teammates.factories import gen_teammate
from webapp.db import utcnow
from webapp.extensions import db
from webapp.fields.models import FieldSource, SmartField
from webapp.rules.evaluate import ConditionSpec, Operator
from webapp.rules.models import AssignmentRule
from webapp.signature_templates.models import SignatureTemplate, TemplateVersion

# Smart field key -> Okta attribute.
FIELDS = {"department": "department", "job_title": "title", "email": "email", "city": "city"}


def gen_fields(session: Session, fields: dict[str, str] | None = None) -> None:
    """Smart fields mapped to Okta attributes (flushed)."""
    for position, (key, attribute) in enumerate((fields or FIELDS).items()):
        label = key.replace("_", " ").capitalize()
        session.add(
            SmartField(key=key, label=label, source=FieldSource.OKTA, attribute=attribute, position=position)
        )
    session.flush()


def gen_template(session: Session, name: str, *, published: bool = True, archived: bool = False) -> int:
    """A template (with one published version unless `published` is False); returns its id."""
    template = SignatureTemplate(
        name=name, draft_html=f"<p>{name} {{{{ email }}}}</p>", archived_at=utcnow() if archived else None
    )
    session.add(template)
    session.flush()
    assert template.id is not None
    if published:
        session.add(TemplateVersion(template_id=template.id, number=1, html=template.draft_html))
        session.flush()
    return template.id


def gen_rule(
    session: Session,
    name: str,
    template_id: int,
    *conditions: tuple[str, Operator, str | list[str]],
    position: int,
) -> int:
    """A stored rule with conditions (field, operator, value); returns its id."""
    stored = [{"field": key, "op": op.value, "value": value} for key, op, value in conditions]
    rule = AssignmentRule(name=name, template_id=template_id, position=position, conditions=stored)
    session.add(rule)
    session.flush()
    assert rule.id is not None
    return rule.id


def condition(key: str, op: Operator, *values: str) -> ConditionSpec:
    """A condition spec, as a form would give it."""
    return ConditionSpec(field=key, op=op, values=values)


@dataclass(frozen=True)
class Org:
    """The seeded org: template ids and teammate ids by name."""

    sales: int
    standard: int
    draft: int
    people: dict[str, int]


def seed_org(app: Flask) -> Org:
    """Smart fields, three templates (Sales and Standard published, Draft never) and six teammates:
    two in Sales, one in sales with odd casing and spaces, two elsewhere, one inactive Sales."""
    with app.app_context(), db.session_scope() as session:
        gen_fields(session)
        sales = gen_template(session, "Sales")
        standard = gen_template(session, "Standard")
        draft = gen_template(session, "Draft", published=False)
        people = [
            gen_teammate(session, name="Ada Sales", department="Sales", title="Account Executive"),
            gen_teammate(session, name="Bob Sales", department="Sales", title="VP Sales"),
            gen_teammate(session, name="Cy Spaces", department="  sALES ", title="Engineer"),
            gen_teammate(session, name="Dee Eng", department="Engineering", title="Engineer"),
            gen_teammate(session, name="Eve Blank", department=None, title="Designer"),
            gen_teammate(session, name="Fay Gone", department="Sales", active=False, status="DEPROVISIONED"),
        ]
        ids = {person.display_name: person.id for person in people if person.id is not None}
    return Org(sales=sales, standard=standard, draft=draft, people=ids)
