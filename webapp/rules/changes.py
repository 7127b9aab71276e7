"""Every change the Assignments pages make, previewed in memory and then saved.

A change knows the rule set it would lead to (`propose`, pure), how to write itself (`apply`) and how
the audit trail names it. `preview` computes its impact without writing; `save` writes it, records it
(the audit commit includes the change), then sends `rules_changed` naming the teammates whose
assignment changed. The slow part (every teammate's values) runs in a read-only session, so the
write transaction stays short (PITFALLS 7.1).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Protocol

from flask import Flask, current_app
from flask_login import current_user
from sqlalchemy.orm import Session

from webapp.audit.record import audit_request
from webapp.extensions import db
from webapp.rules import store
from webapp.rules.evaluate import ManualSpec, RuleSet, RuleSpec, current_rule_set
from webapp.rules.forms import RuleDraft
from webapp.rules.impact import Impact, compute_impact
from webapp.rules.signals import rules_changed

# The id a rule that is not saved yet has in a proposed rule set.
NEW_RULE_ID = 0


class Change(Protocol):
    """A change to the rules, default or manual assignments."""

    @property
    def scope(self) -> Collection[int] | None:
        """The teammates it can affect (None: anyone)."""

    def propose(self, current: RuleSet) -> RuleSet:
        """The rule set after the change (pure)."""

    def apply(self, session: Session, admin_email: str | None) -> None:
        """Write the change (no commit)."""

    def audit(self) -> tuple[str, str]:
        """The audit action and summary."""


@dataclass(frozen=True)
class SaveRule:
    """Create a rule (`rule_id` None) or change one."""

    draft: RuleDraft
    rule_id: int | None = None
    scope: Collection[int] | None = None

    def propose(self, current: RuleSet) -> RuleSet:
        """The rules with this one added last or replaced in place."""
        rule_id = self.rule_id if self.rule_id is not None else NEW_RULE_ID
        spec = RuleSpec(rule_id, self.draft.name, self.draft.template_id, self.draft.conditions)
        if self.rule_id is None:
            return replace(current, rules=(*current.rules, replace(spec, position=len(current.rules) + 1)))
        rules = tuple(
            replace(spec, position=rule.position) if rule.id == rule_id else rule for rule in current.rules
        )
        return replace(current, rules=rules)

    def apply(self, session: Session, admin_email: str | None) -> None:
        """Insert or update the row."""
        fields = {
            "name": self.draft.name,
            "template_id": self.draft.template_id,
            "conditions": self.draft.conditions,
        }
        if self.rule_id is None:
            store.add_rule(session=session, **fields)  # type: ignore[arg-type]
            return
        rule = store.get_rule(session=session, rule_id=self.rule_id)
        if rule is not None:
            store.update_rule(session=session, rule=rule, **fields)  # type: ignore[arg-type]

    def audit(self) -> tuple[str, str]:
        """`rules.rule_created` or `rules.rule_updated`."""
        if self.rule_id is None:
            return "rules.rule_created", f"Assignment rule “{self.draft.name}” created"
        return "rules.rule_updated", f"Assignment rule “{self.draft.name}” changed"


@dataclass(frozen=True)
class DeleteRule:
    """Delete a rule."""

    rule_id: int
    name: str
    scope: Collection[int] | None = None

    def propose(self, current: RuleSet) -> RuleSet:
        """The rules without this one."""
        return replace(current, rules=tuple(rule for rule in current.rules if rule.id != self.rule_id))

    def apply(self, session: Session, admin_email: str | None) -> None:
        """Delete the row (the rules after it move up)."""
        rule = store.get_rule(session=session, rule_id=self.rule_id)
        if rule is not None:
            store.delete_rule(session=session, rule=rule)

    def audit(self) -> tuple[str, str]:
        """`rules.rule_deleted`."""
        return "rules.rule_deleted", f"Assignment rule “{self.name}” deleted"


@dataclass(frozen=True)
class Reorder:
    """Put the rules in a new priority order (every rule id once)."""

    order: tuple[int, ...]
    summary: str = "Assignment rules reordered"
    scope: Collection[int] | None = None

    def propose(self, current: RuleSet) -> RuleSet:
        """The rules in `order`, renumbered."""
        by_id = {rule.id: rule for rule in current.rules}
        rules = tuple(
            replace(by_id[rule_id], position=n) for n, rule_id in enumerate(self.order, 1) if rule_id in by_id
        )
        return replace(current, rules=rules)

    def apply(self, session: Session, admin_email: str | None) -> None:
        """Renumber the rows (a stale order, missing or adding rules, is ignored)."""
        current = [rule.id for rule in store.list_rules(session=session) if rule.id is not None]
        order = store.complete_order(current, self.order)
        if order is not None:
            store.reorder_rules(session=session, rule_ids=order)

    def audit(self) -> tuple[str, str]:
        """`rules.reordered`."""
        return "rules.reordered", self.summary


@dataclass(frozen=True)
class SetDefault:
    """Choose the default template (None: no signature)."""

    template_id: int | None
    label: str
    scope: Collection[int] | None = None

    def propose(self, current: RuleSet) -> RuleSet:
        """The same rules with another default."""
        return replace(current, default_template_id=self.template_id)

    def apply(self, session: Session, admin_email: str | None) -> None:
        """Write the default row."""
        store.set_default(session=session, template_id=self.template_id, admin_email=admin_email)

    def audit(self) -> tuple[str, str]:
        """`rules.default_changed`."""
        return "rules.default_changed", f"Default template set to {self.label}"


@dataclass(frozen=True)
class SetManual:
    """Choose one teammate's template by hand (`follow_rules`: undo that; `template_id` None: no
    signature)."""

    teammate_id: int
    teammate_name: str
    template_id: int | None
    follow_rules: bool
    label: str

    @property
    def scope(self) -> Collection[int] | None:
        """Only this teammate."""
        return (self.teammate_id,)

    def propose(self, current: RuleSet) -> RuleSet:
        """The same rules with this teammate's manual assignment set or removed."""
        manual = dict(current.manual)
        if self.follow_rules:
            manual.pop(self.teammate_id, None)
        else:
            manual[self.teammate_id] = ManualSpec(self.template_id)
        return replace(current, manual=manual)

    def apply(self, session: Session, admin_email: str | None) -> None:
        """Write or delete the manual-assignment row."""
        if self.follow_rules:
            store.clear_manual(session=session, teammate_id=self.teammate_id)
        else:
            store.set_manual(
                session=session,
                teammate_id=self.teammate_id,
                template_id=self.template_id,
                admin_email=admin_email,
            )

    def audit(self) -> tuple[str, str]:
        """`rules.manual_set` or `rules.manual_cleared`."""
        if self.follow_rules:
            return "rules.manual_cleared", f"{self.teammate_name} follows the assignment rules again"
        return "rules.manual_set", f"{self.teammate_name} set by hand to {self.label}"


@dataclass(frozen=True)
class SetSignNotYetActive:
    """Give teammates a source says are not yet active (Okta STAGED) signatures, or stop."""

    source: str
    source_label: str
    enabled: bool
    scope: Collection[int] | None = None

    def propose(self, current: RuleSet) -> RuleSet:
        """The same rules with the source's setting changed."""
        sources = set(current.sign_not_yet_active)
        if self.enabled:
            sources.add(self.source)
        else:
            sources.discard(self.source)
        return replace(current, sign_not_yet_active=frozenset(sources))

    def apply(self, session: Session, admin_email: str | None) -> None:
        """Write the source's setting."""
        store.set_sign_not_yet_active(
            session=session, source=self.source, enabled=self.enabled, admin_email=admin_email
        )

    def audit(self) -> tuple[str, str]:
        """`rules.not_yet_active_changed`."""
        given = "get signatures" if self.enabled else "get no signature"
        return "rules.not_yet_active_changed", f"Teammates not yet active in {self.source_label} {given}"


def preview(change: Change) -> Impact:
    """The effect of `change`, computed in a read-only session; nothing is written."""
    with db.session_scope(writer=False) as reading:
        current = current_rule_set(session=reading)
        return compute_impact(
            session=reading, current=current, proposed=change.propose(current), teammate_ids=change.scope
        )


def save(change: Change) -> Impact:
    """Write `change`, record it in the audit trail (one commit), then send `rules_changed`.

    The impact is computed first, outside the write transaction; if the stored rules changed in the
    meantime (another admin), `rules_changed` says anyone may be affected.
    """
    with db.session_scope(writer=False) as reading:
        before = current_rule_set(session=reading)
        impact = compute_impact(
            session=reading, current=before, proposed=change.propose(before), teammate_ids=change.scope
        )
    session = db.session
    unchanged_meanwhile = current_rule_set(session=session) == before
    admin_email = current_user.email if current_user.is_authenticated else None
    change.apply(session, admin_email)
    action, summary = change.audit()
    audit_request(action, summary[:500], session=session)  # commits the change with its record
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    rules_changed.send(app, teammate_ids=impact.reassigned if unchanged_meanwhile else None)
    return impact
