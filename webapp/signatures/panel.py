"""The "Signature" section of a teammate's page: which template they get and why, and links to the
signature history and the manual assignment (registered with `teammates.panels`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, url_for
from sqlalchemy.orm import Session
from sqlmodel import Session as ModelSession

from webapp.fields.values import known_fields
from webapp.rules.describe import describe
from webapp.rules.evaluate import Assignment, AssignmentReason, assignments_for, current_rule_set
from webapp.signatures import store
from webapp.signatures.models import SignatureChange
from webapp.signatures.queries import assignment_kind, template_names
from webapp.teammates.models import Teammate
from webapp.teammates.panels import DetailPanel

PANEL_KEY = "teammate-signature"
# Endpoint of the rules area's page for one teammate's manual assignment (used if it exists).
MANUAL_ASSIGNMENT_ENDPOINT = "rules.teammate"


def panel_context(session: Session, teammate: Teammate) -> Mapping[str, Any]:
    """What the panel shows: the current signature, the assignment and why, and where to go next."""
    assert isinstance(session, ModelSession) and teammate.id is not None
    signature = store.signature_for_teammate(session=session, teammate_id=teammate.id)
    assignment = assignments_for(session=session, teammate_ids=[teammate.id]).get(teammate.id) or Assignment(
        None, AssignmentReason.INACTIVE if not teammate.active else AssignmentReason.NONE
    )
    rules = current_rule_set(session=session).rules
    labels = {field.key: field.label for field in known_fields(session=session)}
    names = template_names(session=session)
    rule = next((rule for rule in rules if rule.id == assignment.rule_id), None)
    manual = (
        url_for(MANUAL_ASSIGNMENT_ENDPOINT, teammate_id=teammate.id)
        if MANUAL_ASSIGNMENT_ENDPOINT in current_app.view_functions
        else None
    )
    last = session.exec(store.latest_change_statement(teammate_id=teammate.id)).first()
    waiting = (
        signature is not None
        and assignment.template_id is not None
        and signature.template_id != assignment.template_id
    )
    return {
        "signature": signature,
        "assignment": assignment,
        "kind": assignment_kind(assignment.reason if assignment.template_id is not None else None),
        "why": describe(assignment, rules=rules, labels=labels),
        "rule": rule,
        "template_name": names.get(assignment.template_id or 0, ""),
        "signature_template_name": names.get(signature.template_id, "") if signature else "",
        "waiting": waiting or (signature is None and assignment.template_id is not None),
        "last_change": last if isinstance(last, SignatureChange) else None,
        "history_url": url_for("signatures.history", teammate_id=teammate.id),
        "manual_url": manual,
        "labels": labels,
    }


PANEL = DetailPanel(
    key=PANEL_KEY, template="signatures/_teammate_panel.html", context=panel_context, order=10
)
