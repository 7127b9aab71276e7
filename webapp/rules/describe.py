"""Assignments and conditions in words, for the Assignments pages and the teammate page ("why")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from webapp.rules.evaluate import Assignment, AssignmentReason, ConditionSpec, Operator, RuleSpec

NO_SIGNATURE = "No signature"
# Okta is the one source today, and STAGED its one status that is not yet active
# (`webapp.sources.okta.directory.OKTA_STATES`).
NOT_YET_ACTIVE_WORDS = "Not yet active in Okta (STAGED)"


def condition_words(condition: ConditionSpec, labels: Mapping[str, str] | None = None) -> str:
    """One condition as a phrase: "department is Sales", "title is any of CEO, CTO"."""
    name = (labels or {}).get(condition.field, condition.field) or "?"
    if not condition.op.takes_value:
        return f"{name} {condition.op.value}"
    if condition.op is Operator.IS_ANY_OF:
        return f"{name} {condition.op.value} {', '.join(condition.values)}"
    return f"{name} {condition.op.value} {''.join(condition.values[:1])}"


def conditions_words(conditions: Sequence[ConditionSpec], labels: Mapping[str, str] | None = None) -> str:
    """A rule's conditions joined by "and"."""
    return " and ".join(condition_words(condition, labels) for condition in conditions)


def describe(
    assignment: Assignment,
    *,
    rules: Sequence[RuleSpec] = (),
    labels: Mapping[str, str] | None = None,
) -> str:
    """Why a teammate gets what they get, in one line.

    "Rule 2 “Sales team”: department is Sales" (with `rules`, for the position and conditions;
    `labels` maps field keys to the names shown), "Set by hand", "Set by hand: no signature",
    "Default template", "No rule matched and no default", "Inactive in Okta: no signature",
    "Not yet active in Okta (STAGED): no signature".
    """
    match assignment.reason:
        case AssignmentReason.INACTIVE:
            return "Inactive in Okta: no signature"
        case AssignmentReason.NOT_YET_ACTIVE:
            return f"{NOT_YET_ACTIVE_WORDS}: no signature"
        case AssignmentReason.MANUAL:
            return "Set by hand" if assignment.template_id is not None else "Set by hand: no signature"
        case AssignmentReason.DEFAULT:
            return "Default template"
        case AssignmentReason.NONE:
            return "No rule matched and no default"
    for number, rule in enumerate(rules, start=1):
        if rule.id == assignment.rule_id:
            return f"Rule {number} “{rule.name}”: {conditions_words(rule.conditions, labels)}"
    return f"Rule “{assignment.rule_name}”"


def template_label(template_id: int | None, names: Mapping[int, str]) -> str:
    """A template's name (or "No signature"); "Template 7" if it has no name any more."""
    if template_id is None:
        return NO_SIGNATURE
    return names.get(template_id, f"Template {template_id}")
