"""Assignment semantics as tables: every operator (casing, whitespace), AND, priority, default, no
default, manual override (a template or "no signature"), inactive teammates, unpublished templates,
removed smart fields; and the words the pages use."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.rules.factories import condition
from webapp.rules.describe import condition_words, describe, template_label
from webapp.rules.evaluate import (
    Assignment,
    AssignmentReason,
    ConditionSpec,
    ManualSpec,
    Operator,
    RuleSet,
    RuleSpec,
    Standing,
    assign,
    split_list,
)

SALES, STANDARD, EXEC = 1, 2, 3


@pytest.mark.parametrize(
    ("op", "values", "actual", "holds"),
    [
        (Operator.IS, ("Sales",), "Sales", True),
        (Operator.IS, ("Sales",), "sales", True),
        (Operator.IS, ("Sales",), "  SALES \t", True),
        (Operator.IS, (" sAlEs ",), "Sales", True),
        (Operator.IS, ("Straße",), "STRASSE", True),  # casefold, not lower
        (Operator.IS, ("Sales",), "Sales team", False),
        (Operator.IS, ("Sales",), "", False),
        (Operator.IS_NOT, ("Sales",), "Engineering", True),
        (Operator.IS_NOT, ("Sales",), " SALES", False),
        (Operator.IS_NOT, ("Sales",), "", True),
        (Operator.IS_ANY_OF, ("Sales", "Marketing"), "marketing", True),
        (Operator.IS_ANY_OF, ("Sales", "Marketing"), " Sales ", True),
        (Operator.IS_ANY_OF, ("Sales", "Marketing"), "Support", False),
        (Operator.IS_ANY_OF, ("Sales", "Marketing"), "", False),
        (Operator.CONTAINS, ("vp",), "Senior VP of Sales", True),
        (Operator.CONTAINS, (" VP ",), "svp", True),  # the value is trimmed too
        (Operator.CONTAINS, ("vp",), "Engineer", False),
        (Operator.CONTAINS, ("vp",), "", False),
        (Operator.STARTS_WITH, ("vp",), "VP Sales", True),
        (Operator.STARTS_WITH, ("vp",), "   vp sales", True),
        (Operator.STARTS_WITH, ("vp",), "Senior VP", False),
        (Operator.IS_EMPTY, (), "", True),
        (Operator.IS_EMPTY, (), "   ", True),
        (Operator.IS_EMPTY, (), "x", False),
        (Operator.IS_NOT_EMPTY, (), "", False),
        (Operator.IS_NOT_EMPTY, (), " \t", False),
        (Operator.IS_NOT_EMPTY, (), "x", True),
    ],
)
def test_operator(op: Operator, values: tuple[str, ...], actual: str, holds: bool) -> None:
    """Each operator compares case-insensitively, ignoring surrounding whitespace on both sides."""
    assert condition("department", op, *values).holds({"department": actual}) is holds


@pytest.mark.parametrize("op", list(Operator))
def test_condition_on_a_removed_field_never_holds(op: Operator) -> None:
    """A condition on a smart field that no longer exists (not in the values) never holds, whatever
    the operator ("is empty" and "is not" included)."""
    spec = condition("pronouns", op, *(("x",) if op.takes_value else ()))
    assert spec.holds({"department": ""}) is False


def rule(rule_id: int, template_id: int, *conditions: ConditionSpec, published: bool = True) -> RuleSpec:
    """A rule spec at position `rule_id`."""
    return RuleSpec(
        rule_id, f"Rule {rule_id}", template_id, conditions, position=rule_id, template_published=published
    )


SALES_RULE = rule(1, SALES, condition("department", Operator.IS, "Sales"))
EXEC_RULE = rule(
    2, EXEC, condition("department", Operator.IS, "Sales"), condition("title", Operator.STARTS_WITH, "VP")
)
VP_FIRST = rule(3, EXEC, condition("title", Operator.STARTS_WITH, "VP"))
ADA = {"department": "Sales", "title": "Account Executive"}
VP = {"department": "sales", "title": "VP Sales"}
ENG = {"department": "Engineering", "title": "VP Engineering"}
NOBODY = {"department": "", "title": ""}


@pytest.mark.parametrize(
    ("values", "active", "rules", "default", "manual", "expected"),
    [
        # AND: every condition of a rule must hold.
        (VP, True, [EXEC_RULE], STANDARD, None, Assignment(EXEC, AssignmentReason.RULE, 2, "Rule 2")),
        (ENG, True, [EXEC_RULE], STANDARD, None, Assignment(STANDARD, AssignmentReason.DEFAULT)),
        # Priority: the first matching rule wins; the order decides.
        (VP, True, [SALES_RULE, VP_FIRST], None, None, Assignment(SALES, AssignmentReason.RULE, 1, "Rule 1")),
        (VP, True, [VP_FIRST, SALES_RULE], None, None, Assignment(EXEC, AssignmentReason.RULE, 3, "Rule 3")),
        (ENG, True, [SALES_RULE, VP_FIRST], None, None, Assignment(EXEC, AssignmentReason.RULE, 3, "Rule 3")),
        # Default, and no default.
        (NOBODY, True, [SALES_RULE], STANDARD, None, Assignment(STANDARD, AssignmentReason.DEFAULT)),
        (NOBODY, True, [SALES_RULE], None, None, Assignment(None, AssignmentReason.NONE)),
        (NOBODY, True, [], None, None, Assignment(None, AssignmentReason.NONE)),
        # A manual assignment overrides the rules: a template, or "no signature".
        (ADA, True, [SALES_RULE], STANDARD, ManualSpec(EXEC), Assignment(EXEC, AssignmentReason.MANUAL)),
        (ADA, True, [SALES_RULE], STANDARD, ManualSpec(None), Assignment(None, AssignmentReason.MANUAL)),
        # ... unless its template has no published version any more: the rules decide.
        (
            ADA,
            True,
            [SALES_RULE],
            STANDARD,
            ManualSpec(EXEC, template_published=False),
            Assignment(SALES, AssignmentReason.RULE, 1, "Rule 1"),
        ),
        # Inactive teammates get nothing, whatever else.
        (ADA, False, [SALES_RULE], STANDARD, ManualSpec(EXEC), Assignment(None, AssignmentReason.INACTIVE)),
        (NOBODY, False, [], STANDARD, None, Assignment(None, AssignmentReason.INACTIVE)),
        # A rule whose template has no published version is skipped.
        (
            ADA,
            True,
            [rule(1, SALES, condition("department", Operator.IS, "Sales"), published=False), VP_FIRST],
            STANDARD,
            None,
            Assignment(STANDARD, AssignmentReason.DEFAULT),
        ),
        # A rule testing a removed smart field never matches; one without conditions neither.
        (
            ADA,
            True,
            [rule(1, SALES, condition("gone", Operator.IS_EMPTY))],
            None,
            None,
            Assignment(None, AssignmentReason.NONE),
        ),
        (ADA, True, [rule(1, SALES)], None, None, Assignment(None, AssignmentReason.NONE)),
    ],
)
def test_assign(
    values: dict[str, str],
    active: bool,
    rules: list[RuleSpec],
    default: int | None,
    manual: ManualSpec | None,
    expected: Assignment,
) -> None:
    """`assign` applies inactive > manual > rules in order (AND within a rule) > default > none."""
    assert (
        assign(values=values, active=active, rules=rules, default_template_id=default, manual=manual)
        == expected
    )


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (
            {"field": "department", "op": "is", "value": " Sales "},
            ConditionSpec("department", Operator.IS, ("Sales",)),
        ),
        (
            {"field": "department", "op": "is any of", "value": ["Sales", " ", "Marketing"]},
            ConditionSpec("department", Operator.IS_ANY_OF, ("Sales", "Marketing")),
        ),
        ({"field": "city", "op": "is empty"}, ConditionSpec("city", Operator.IS_EMPTY)),
        ({"field": "city", "op": "resembles", "value": "x"}, ConditionSpec("city", Operator.IS, broken=True)),
        ({"field": "city", "op": "is", "value": "  "}, ConditionSpec("city", Operator.IS, broken=True)),
        ("not a condition", ConditionSpec("", Operator.IS, broken=True)),
    ],
)
def test_stored_conditions_are_read_defensively(stored: object, expected: ConditionSpec) -> None:
    """Stored conditions are trimmed; an unknown operator or a missing value makes a condition that
    never holds (broken), never an error."""
    spec = ConditionSpec.from_json(stored)
    assert spec == expected
    if spec.broken:
        assert spec.holds({"city": "", "department": ""}) is False


def test_conditions_round_trip_through_json() -> None:
    """A condition written by `to_json` reads back the same ("is any of" as a list)."""
    for spec in (
        condition("department", Operator.IS_ANY_OF, "Sales", "Marketing"),
        condition("title", Operator.CONTAINS, "VP"),
        condition("city", Operator.IS_NOT_EMPTY),
    ):
        assert ConditionSpec.from_json(spec.to_json()) == spec


def test_is_any_of_values_split_on_commas_and_line_breaks() -> None:
    """The form's "is any of" text splits on commas and newlines, trimmed, empty items dropped."""
    assert split_list("Sales, Marketing\nSupport\r\n, ,Legal ") == ["Sales", "Marketing", "Support", "Legal"]


def test_describe_says_why() -> None:
    """Each reason reads as the teammate page shows it; a rule names its position and conditions."""
    rules = [VP_FIRST, replace_name(EXEC_RULE, "Sales execs")]
    labels = {"department": "Department", "title": "Job title"}
    rule_assignment = Assignment(EXEC, AssignmentReason.RULE, 2, "Sales execs")
    assert describe(rule_assignment, rules=rules, labels=labels) == (
        "Rule 2 “Sales execs”: Department is Sales and Job title starts with VP"
    )
    assert describe(rule_assignment) == "Rule “Sales execs”"
    assert describe(Assignment(EXEC, AssignmentReason.MANUAL)) == "Set by hand"
    assert describe(Assignment(None, AssignmentReason.MANUAL)) == "Set by hand: no signature"
    assert describe(Assignment(STANDARD, AssignmentReason.DEFAULT)) == "Default template"
    assert describe(Assignment(None, AssignmentReason.NONE)) == "No rule matched and no default"
    assert describe(Assignment(None, AssignmentReason.INACTIVE)) == "Inactive in Okta: no signature"
    assert (
        describe(Assignment(None, AssignmentReason.NOT_YET_ACTIVE))
        == "Not yet active in Okta (STAGED): no signature"
    )


def test_not_yet_active_teammates_get_nothing_unless_their_source_allows_it() -> None:
    """Not yet active (Okta STAGED) wins over manual choices and rules, unless a source that says so
    has its setting on; inactive still wins over everything."""
    rules = RuleSet(default_template_id=STANDARD, manual={7: ManualSpec(EXEC)})
    waiting = Standing(True, frozenset({"okta"}))
    for teammate_id in (1, 7):
        assert rules.assign_standing(teammate_id=teammate_id, values={}, standing=waiting) == Assignment(
            None, AssignmentReason.NOT_YET_ACTIVE
        )
    allowed = replace(rules, sign_not_yet_active=frozenset({"okta"}))
    assert allowed.assign_standing(teammate_id=1, values={}, standing=waiting) == Assignment(
        STANDARD, AssignmentReason.DEFAULT
    )
    assert allowed.assign_standing(teammate_id=7, values={}, standing=waiting) == Assignment(
        EXEC, AssignmentReason.MANUAL
    )
    other = replace(rules, sign_not_yet_active=frozenset({"rippling"}))
    assert (
        other.assign_standing(teammate_id=1, values={}, standing=waiting).reason
        is AssignmentReason.NOT_YET_ACTIVE
    )
    assert allowed.assign_standing(teammate_id=1, values={}, standing=Standing(False)).reason is (
        AssignmentReason.INACTIVE
    )


def replace_name(spec: RuleSpec, name: str) -> RuleSpec:
    """`spec` renamed."""
    return replace(spec, name=name)


def test_condition_and_template_words() -> None:
    """Conditions and templates in words: lists joined, valueless operators alone, "No signature"."""
    assert condition_words(condition("department", Operator.IS_ANY_OF, "Sales", "Marketing")) == (
        "department is any of Sales, Marketing"
    )
    assert condition_words(condition("city", Operator.IS_EMPTY), {"city": "City"}) == "City is empty"
    assert template_label(None, {}) == "No signature"
    assert template_label(4, {4: "Sales"}) == "Sales"
