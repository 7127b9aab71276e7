"""What publishing a template would change: registered with the templates area's publish page.

For (template, html to publish): the teammates whose assignment resolves to that template are
rendered with the new html, and those whose content hash would differ from their current signature
(or who have none yet) are counted and named. Read-only; nothing is stored or counted as a render.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session
from sqlmodel import Session as ModelSession
from sqlmodel import col, select

from webapp.fields.values import FieldValues, teammate_field_values
from webapp.rules.evaluate import assignments_for
from webapp.signature_templates.impact import PublishImpact
from webapp.signature_templates.renderer import TemplateRefused, compile_template, render_signature
from webapp.signatures import store
from webapp.signatures.models import Signature
from webapp.signatures.service import chunks
from webapp.teammates.models import Teammate

_NO_VALUES = FieldValues(values={}, missing=frozenset())


def publish_impact(session: Session, template_id: int, html: str) -> PublishImpact:
    """Teammates whose signature would change if `html` became `template_id`'s published version."""
    assert isinstance(session, ModelSession)  # the app's sessions are SQLModel sessions
    try:
        compiled = compile_template(html)
    except TemplateRefused:
        return PublishImpact(count=0, names=[])
    base_url: str = current_app.config["BASE_URL"]
    candidates = _candidates(session, template_id)
    names: list[str] = []
    for batch in chunks(candidates):
        assigned = [
            teammate_id
            for teammate_id, assignment in assignments_for(session=session, teammate_ids=batch).items()
            if assignment.template_id == template_id
        ]
        if not assigned:
            continue
        values = teammate_field_values(session=session, teammate_ids=assigned)
        current = store.current_signatures(session=session, teammate_ids=assigned)
        people = _names(session, assigned)
        for teammate_id in assigned:
            try:
                rendered = render_signature(
                    compiled, values.get(teammate_id, _NO_VALUES).values, base_url=base_url
                )
            except TemplateRefused:
                continue
            signature = current.get(teammate_id)
            if signature is None or signature.content_hash != rendered.content_hash:
                names.append(people.get(teammate_id, f"Teammate {teammate_id}"))
    return PublishImpact(count=len(names), names=sorted(names, key=str.lower))


def _candidates(session: ModelSession, template_id: int) -> list[int]:
    """Teammates who have this template's signature, and active ones without any signature."""
    with_template = set(store.teammates_with_template(session=session, template_id=template_id))
    without = session.execute(
        select(col(Teammate.id)).where(
            col(Teammate.active).is_(True), col(Teammate.id).not_in(select(col(Signature.teammate_id)))
        )
    ).scalars()
    return sorted(with_template | {int(teammate_id) for teammate_id in without})


def _names(session: Session, teammate_ids: list[int]) -> dict[int, str]:
    rows = session.execute(
        select(col(Teammate.id), col(Teammate.display_name), col(Teammate.email)).where(
            col(Teammate.id).in_(teammate_ids)
        )
    ).all()
    return {int(row[0]): row[1] or row[2] or f"Teammate {row[0]}" for row in rows}
