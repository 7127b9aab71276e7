"""Reading and writing rules, the default template and manual assignments.

Keyword-only, typed, never commit (the use case in `webapp.rules.changes` does). Rule positions are
kept as 1..N without gaps, so "Rule 2" on the page is the rule at position 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session
from sqlmodel import col, select

from webapp.db import utcnow
from webapp.rules.evaluate import ConditionSpec
from webapp.rules.models import (
    DEFAULT_ROW_ID,
    AssignmentDefault,
    AssignmentRule,
    ManualAssignment,
    SourceAssignmentSetting,
)
from webapp.teammates.models import Teammate


class Direction(StrEnum):
    """Where "Move up" / "Move down" moves a rule."""

    UP = "up"
    DOWN = "down"


def list_rules(*, session: Session) -> list[AssignmentRule]:
    """Every rule in priority order (position 1 first)."""
    query = select(AssignmentRule).order_by(col(AssignmentRule.position), col(AssignmentRule.id))
    return list(session.execute(query).scalars())


def get_rule(*, session: Session, rule_id: int) -> AssignmentRule | None:
    """The rule with this id, or None."""
    return session.get(AssignmentRule, rule_id)


def add_rule(
    *, session: Session, name: str, template_id: int, conditions: Sequence[ConditionSpec]
) -> AssignmentRule:
    """A new rule, last in priority order (flushed, so it has its id)."""
    position = len(list_rules(session=session)) + 1
    rule = AssignmentRule(
        name=name,
        template_id=template_id,
        position=position,
        conditions=[condition.to_json() for condition in conditions],
    )
    session.add(rule)
    session.flush()
    return rule


def update_rule(
    *,
    session: Session,
    rule: AssignmentRule,
    name: str,
    template_id: int,
    conditions: Sequence[ConditionSpec],
) -> None:
    """Change a rule's name, template and conditions (its position stays)."""
    rule.name = name
    rule.template_id = template_id
    rule.conditions = [condition.to_json() for condition in conditions]
    rule.updated_at = utcnow()
    session.add(rule)
    session.flush()


def delete_rule(*, session: Session, rule: AssignmentRule) -> None:
    """Remove a rule; the ones after it move up a place."""
    session.delete(rule)
    session.flush()
    _renumber(list_rules(session=session))


def reorder_rules(*, session: Session, rule_ids: Sequence[int]) -> None:
    """Put the rules in the order of `rule_ids` (every rule's id exactly once; see `complete_order`)."""
    by_id = {rule.id: rule for rule in list_rules(session=session)}
    _renumber([by_id[rule_id] for rule_id in rule_ids])


def _renumber(rules: Sequence[AssignmentRule]) -> None:
    for position, rule in enumerate(rules, start=1):
        if rule.position != position:
            rule.position = position


def moved_order(rule_ids: Sequence[int], rule_id: int, direction: Direction) -> list[int]:
    """`rule_ids` with `rule_id` swapped with its neighbour above or below (unchanged at an end)."""
    order = list(rule_ids)
    index = order.index(rule_id)
    other = index - 1 if direction is Direction.UP else index + 1
    if 0 <= other < len(order):
        order[index], order[other] = order[other], order[index]
    return order


def complete_order(current: Sequence[int], proposed: Sequence[int]) -> list[int] | None:
    """`proposed` if it names every current rule exactly once, else None (stale or forged)."""
    if len(proposed) != len(current) or set(proposed) != set(current):
        return None
    return list(proposed)


def get_default(*, session: Session) -> AssignmentDefault | None:
    """The default-template row (None until a default was first chosen)."""
    return session.get(AssignmentDefault, DEFAULT_ROW_ID)


def set_default(*, session: Session, template_id: int | None, admin_email: str | None) -> None:
    """Make `template_id` the template for everyone no rule matches (None: no signature)."""
    row = get_default(session=session) or AssignmentDefault(id=DEFAULT_ROW_ID)
    row.template_id = template_id
    row.updated_at = utcnow()
    row.updated_by = admin_email
    session.add(row)
    session.flush()


def signs_not_yet_active(*, session: Session, source: str) -> bool:
    """Whether teammates `source` says are not yet active get signatures (off without a row)."""
    row = session.get(SourceAssignmentSetting, source)
    return row is not None and row.sign_not_yet_active


def set_sign_not_yet_active(*, session: Session, source: str, enabled: bool, admin_email: str | None) -> None:
    """Turn signatures for `source`'s teammates not yet active on or off."""
    row = session.get(SourceAssignmentSetting, source) or SourceAssignmentSetting(source=source)
    row.sign_not_yet_active = enabled
    row.updated_at = utcnow()
    row.updated_by = admin_email
    session.add(row)
    session.flush()


@dataclass(frozen=True)
class ManualRow:
    """A manual assignment with the teammate it is for."""

    assignment: ManualAssignment
    teammate: Teammate


def manual_assignments(*, session: Session) -> list[ManualRow]:
    """Every manual assignment with its teammate, by teammate name."""
    query = (
        select(ManualAssignment, Teammate)
        .join(Teammate, col(Teammate.id) == col(ManualAssignment.teammate_id))
        .order_by(col(Teammate.display_name), col(Teammate.id))
    )
    return [ManualRow(row[0], row[1]) for row in session.execute(query)]


def get_manual(*, session: Session, teammate_id: int) -> ManualAssignment | None:
    """The teammate's manual assignment, or None when the rules decide."""
    query = select(ManualAssignment).where(col(ManualAssignment.teammate_id) == teammate_id)
    return session.execute(query).scalars().first()


def set_manual(
    *, session: Session, teammate_id: int, template_id: int | None, admin_email: str | None
) -> ManualAssignment:
    """Choose the teammate's template by hand (None: no signature), replacing an earlier choice."""
    row = get_manual(session=session, teammate_id=teammate_id) or ManualAssignment(teammate_id=teammate_id)
    row.template_id = template_id
    row.created_at = utcnow()
    row.created_by = admin_email
    session.add(row)
    session.flush()
    return row


def clear_manual(*, session: Session, teammate_id: int) -> bool:
    """Let the rules decide for this teammate again; False if nothing was set by hand."""
    row = get_manual(session=session, teammate_id=teammate_id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True
