"""What the Assignments pages show: each rule in words with what is wrong with it, the default, the
manual assignments, and the choices the forms offer. Read-only; the views pass a reading session."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from webapp.rules import store
from webapp.rules.choices import TemplateCatalog, field_choices, template_catalog
from webapp.rules.describe import condition_words, describe, template_label
from webapp.rules.evaluate import AssignmentReason, RuleSpec, assignments_for, current_rule_set
from webapp.rules.forms import ManualChoice, RuleForm
from webapp.rules.impact import teammate_label
from webapp.rules.models import AssignmentRule
from webapp.sources.okta.directory import SOURCE_KEY as OKTA
from webapp.teammates.models import Teammate, TeammateState


@dataclass(frozen=True)
class ConditionView:
    """One condition in words; `removed` when its smart field no longer exists (it never matches)."""

    words: str
    removed: bool


@dataclass(frozen=True)
class RuleView:
    """One row of the rules list."""

    id: int
    position: int
    name: str
    conditions: list[ConditionView]
    template_name: str
    template_published: bool
    template_archived: bool
    teammates: int

    @property
    def removed_fields(self) -> bool:
        """Whether a condition tests a smart field that no longer exists."""
        return any(condition.removed for condition in self.conditions)


@dataclass(frozen=True)
class ManualView:
    """One manual assignment: whose, which template (or none), and whether it still applies."""

    teammate_id: int
    teammate_name: str
    active: bool
    template_name: str
    template_published: bool
    template_archived: bool
    created_by: str | None
    created_at: Any


@dataclass(frozen=True)
class NotYetActiveView:
    """A source's setting for its teammates not yet active (Okta STAGED), and how many there are."""

    source: str
    label: str
    status_words: str  # the source's statuses that mean "not yet active"
    enabled: bool
    teammates: int


def not_yet_active_view(*, session: Session) -> NotYetActiveView:
    """Okta's setting (the one source today) and its teammates not yet active."""
    count = session.execute(
        select(func.count())
        .select_from(Teammate)
        .where(col(Teammate.active).is_(True), col(Teammate.state) == TeammateState.NOT_YET_ACTIVE)
    ).scalar_one()
    return NotYetActiveView(
        source=OKTA,
        label="Okta",
        status_words="STAGED",
        enabled=store.signs_not_yet_active(session=session, source=OKTA),
        teammates=int(count),
    )


def teammate_name(teammate: Teammate) -> str:
    """How the pages name a teammate."""
    assert teammate.id is not None
    return teammate_label(teammate.id, teammate.display_name, teammate.email)


def all_template_names(*, session: Session) -> dict[int, str]:
    """Every template's name by id, for naming old and new templates in a preview."""
    return template_catalog(session=session).names


def template_choices(*, session: Session, current: int | None) -> dict[int, str]:
    """The templates a select offers (and a form accepts): the assignable ones, plus `current` (the
    one stored now) if it was archived since."""
    return template_catalog(session=session).choices(current)


def rule_views(
    *, session: Session, specs: tuple[RuleSpec, ...], catalog: TemplateCatalog, counts: Counter[int]
) -> list[RuleView]:
    """The rules list, each rule with its conditions in words and what keeps it from matching."""
    labels = {choice.key: choice.label for choice in field_choices(session=session)}
    views = []
    for number, spec in enumerate(specs, start=1):
        conditions = [
            ConditionView(
                words=condition_words(condition, labels),
                removed=condition.broken or condition.field not in labels,
            )
            for condition in spec.conditions
        ]
        views.append(
            RuleView(
                id=spec.id,
                position=number,
                name=spec.name,
                conditions=conditions,
                template_name=template_label(spec.template_id, catalog.names),
                template_published=spec.template_published,
                template_archived=spec.template_id in catalog.archived,
                teammates=counts[spec.id],
            )
        )
    return views


def index_context(*, session: Session) -> dict[str, Any]:
    """Everything the Assignments page shows."""
    rule_set = current_rule_set(session=session)
    catalog = template_catalog(session=session)
    names = catalog.names
    assigned = assignments_for(session=session, teammate_ids=None)
    by_rule = Counter(a.rule_id for a in assigned.values() if a.reason is AssignmentReason.RULE and a.rule_id)
    reasons = Counter(assignment.reason for assignment in assigned.values())
    default_row = store.get_default(session=session)
    default_id = default_row.template_id if default_row else None
    manual = [
        ManualView(
            teammate_id=row.assignment.teammate_id,
            teammate_name=teammate_name(row.teammate),
            active=row.teammate.active,
            template_name=template_label(row.assignment.template_id, names),
            template_published=rule_set.manual[row.assignment.teammate_id].applies
            if row.assignment.teammate_id in rule_set.manual
            else True,
            template_archived=row.assignment.template_id in catalog.archived,
            created_by=row.assignment.created_by,
            created_at=row.assignment.created_at,
        )
        for row in store.manual_assignments(session=session)
    ]
    return {
        "rules": rule_views(session=session, specs=rule_set.rules, catalog=catalog, counts=by_rule),
        "templates": catalog.choices(default_id),
        "default_template_id": default_id,
        "default_selected": str(default_id) if default_id is not None else "",
        "default_label": template_label(default_id, names),
        "default_stale": default_id is not None and rule_set.default_template_id is None,
        "default_archived": default_id in catalog.archived and rule_set.default_template_id is not None,
        "reason_counts": reasons,
        "manual": manual,
        "not_yet_active": not_yet_active_view(session=session),
    }


def rule_form_context(*, session: Session, form: RuleForm, rule: AssignmentRule | None) -> dict[str, Any]:
    """The rule form's choices: published templates and smart fields (plus what the rule names that
    no longer exists, so the admin sees it and can change it)."""
    catalog = template_catalog(session=session)
    templates = catalog.choices(rule.template_id if rule else None)
    fields = field_choices(session=session)
    keys = {choice.key for choice in fields}
    stale_template = None
    template_id = form.template.strip()
    if template_id.isdigit() and len(template_id) < 11 and int(template_id) not in templates:
        stale_template = catalog.names.get(int(template_id))
    return {
        "form": form,
        "rule": rule,
        "templates": templates,
        "fields": fields,
        "field_keys": keys,
        "stale_template": stale_template,
        "heading": f"Edit rule “{rule.name}”" if rule else "New rule",
    }


def manual_context(*, session: Session, teammate: Teammate, choice: str | None) -> dict[str, Any]:
    """One teammate's assignment now, why, and the choices for setting it by hand."""
    assert teammate.id is not None
    rule_set = current_rule_set(session=session)
    assignment = assignments_for(session=session, teammate_ids=[teammate.id]).get(teammate.id)
    labels = {field.key: field.label for field in field_choices(session=session)}
    catalog = template_catalog(session=session)
    names = catalog.names
    row = store.get_manual(session=session, teammate_id=teammate.id)
    if choice is None:
        if row is None:
            choice = ManualChoice.FOLLOW_RULES.value
        else:
            choice = ManualChoice.NO_SIGNATURE.value if row.template_id is None else str(row.template_id)
    return {
        "teammate": teammate,
        "teammate_name": teammate_name(teammate),
        "assignment": assignment,
        "why": describe(assignment, rules=rule_set.rules, labels=labels) if assignment else "",
        "now_label": template_label(assignment.template_id if assignment else None, names),
        "manual_row": row,
        "manual_stale": row is not None and not rule_set.manual[teammate.id].applies,
        "manual_template": template_label(row.template_id, names) if row else "",
        "templates": catalog.choices(row.template_id if row else None),
        "choice": choice,
    }
