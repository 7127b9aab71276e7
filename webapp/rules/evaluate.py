"""Which template each teammate gets, and why: the pure `assign` and its batched, database-backed
`assignments_for`.

Order of precedence: an inactive teammate gets nothing; nor does one not yet active (Okta STAGED)
unless the source's setting (`SourceAssignmentSetting`) gives them signatures; a manual assignment
wins over the rules;
then the rules in priority order (first match wins, all of a rule's conditions must hold); then the
default template; else no signature. Only templates with a published version count: a rule, default
or manual choice naming a never-published template is passed over (an archived template keeps
working where it is used, as archiving promises; it is just no longer offered for new choices).
Comparisons are case-insensitive (`str.casefold`) and ignore surrounding whitespace on both sides.

Rules compare a teammate's own value of a smart field (formatted, but without the field's fallback:
"department is empty" must find the people whose department is missing even when their signature
shows a fallback). A condition on a smart field that no longer exists never holds.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, cast

import sqlmodel
from sqlalchemy.orm import Session
from sqlmodel import col, select

from webapp.fields.values import compute_prepared, known_fields, local_values, okta_profiles, prepare_fields
from webapp.rules.choices import template_catalog
from webapp.rules.models import (
    DEFAULT_ROW_ID,
    AssignmentDefault,
    AssignmentRule,
    ManualAssignment,
    SourceAssignmentSetting,
)
from webapp.teammates.models import SourceRecord, Teammate, TeammateState


class Operator(StrEnum):
    """How a condition compares a smart field's value (the value is the admin's text)."""

    IS = "is"
    IS_NOT = "is not"
    IS_ANY_OF = "is any of"
    CONTAINS = "contains"
    STARTS_WITH = "starts with"
    IS_EMPTY = "is empty"
    IS_NOT_EMPTY = "is not empty"

    @property
    def takes_value(self) -> bool:
        """Whether the condition needs a value typed by the admin."""
        return self not in (Operator.IS_EMPTY, Operator.IS_NOT_EMPTY)

    @property
    def takes_list(self) -> bool:
        """Whether the value is a list (comma- or newline-separated in the form)."""
        return self is Operator.IS_ANY_OF


class AssignmentReason(StrEnum):
    """Why a teammate gets the template they get (or none)."""

    RULE = "rule"  # a rule matched
    MANUAL = "manual"  # set by hand for this teammate (a template or "no signature")
    DEFAULT = "default"  # no rule matched: the default template
    NONE = "none"  # no rule matched and there is no default
    INACTIVE = "inactive"  # deactivated, suspended, deprovisioned or removed in Okta
    NOT_YET_ACTIVE = "not_yet_active"  # not yet active in its source (Okta STAGED), not given one


# Ids per query when reading given teammates (well under SQLite's and PostgreSQL's parameter limits).
ID_BATCH = 5000
# "is any of" values in the form and in stored text: separated by commas or line breaks.
LIST_SEPARATOR = re.compile(r"[,\n\r]+")


def normalize(text: str) -> str:
    """A value as rules compare it: surrounding whitespace dropped, case folded."""
    return text.strip().casefold()


def split_list(text: str) -> list[str]:
    """The items of an "is any of" value typed as text, trimmed, empty ones dropped."""
    return [item.strip() for item in LIST_SEPARATOR.split(text) if item.strip()]


@dataclass(frozen=True)
class ConditionSpec:
    """One condition of a rule: `field` (a smart-field key) `op` `values`.

    `values` are the admin's words (trimmed; one item, or several for "is any of", none for
    "is empty"/"is not empty"); `broken` marks a stored condition that could not be read (it never
    holds).
    """

    field: str
    op: Operator
    values: tuple[str, ...] = ()
    broken: bool = False
    # `values` as compared (normalized once: `holds` runs for every teammate and rule).
    needles: tuple[str, ...] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "needles", tuple(normalize(value) for value in self.values))

    @classmethod
    def from_json(cls, data: Any) -> ConditionSpec:
        """Read one stored condition (`{"field", "op", "value"}`); anything unreadable is `broken`."""
        if not isinstance(data, Mapping):
            return cls(field="", op=Operator.IS, broken=True)
        key, op, raw = data.get("field"), data.get("op"), data.get("value", "")
        if not isinstance(key, str) or op not in {operator.value for operator in Operator}:
            return cls(field=str(key or ""), op=Operator.IS, broken=True)
        operator = Operator(op)
        if not operator.takes_value:
            return cls(field=key, op=operator)
        items = raw if isinstance(raw, list) else [raw]
        values = tuple(str(item).strip() for item in items if str(item).strip())
        return cls(field=key, op=operator, values=values, broken=not values)

    def to_json(self) -> dict[str, Any]:
        """The stored form (`AssignmentRule.conditions` item)."""
        value: str | list[str] = list(self.values) if self.op.takes_list else "".join(self.values[:1])
        return {"field": self.field, "op": self.op.value, "value": value}

    def holds(self, values: Mapping[str, str]) -> bool:
        """Whether the teammate's `values` (field key -> text) satisfy this condition."""
        if self.broken or self.field not in values:  # a removed smart field never matches
            return False
        actual = normalize(values[self.field])
        needles = self.needles
        match self.op:
            case Operator.IS_EMPTY:
                return actual == ""
            case Operator.IS_NOT_EMPTY:
                return actual != ""
            case Operator.IS | Operator.IS_ANY_OF:
                return actual in needles
            case Operator.IS_NOT:
                return actual not in needles
            case Operator.CONTAINS:
                return any(needle in actual for needle in needles)
            case Operator.STARTS_WITH:
                return any(actual.startswith(needle) for needle in needles)
        return False  # pragma: no cover - every operator is handled above


@dataclass(frozen=True)
class RuleSpec:
    """A rule as `assign` needs it (built from an `AssignmentRule` row, or from a form)."""

    id: int
    name: str
    template_id: int
    conditions: tuple[ConditionSpec, ...]
    position: int = 0
    # False when the template has no published version: the rule is passed over.
    template_published: bool = True

    def matches(self, values: Mapping[str, str]) -> bool:
        """Whether every condition holds (a rule without conditions never matches)."""
        return (
            self.template_published
            and bool(self.conditions)
            and all(condition.holds(values) for condition in self.conditions)
        )

    @classmethod
    def from_row(cls, rule: AssignmentRule, *, published: Collection[int]) -> RuleSpec:
        """The spec of a stored rule; `published` are the assignable template ids."""
        assert rule.id is not None
        return cls(
            id=rule.id,
            name=rule.name,
            template_id=rule.template_id,
            conditions=tuple(ConditionSpec.from_json(item) for item in rule.conditions or []),
            position=rule.position,
            template_published=rule.template_id in published,
        )


@dataclass(frozen=True)
class ManualSpec:
    """A teammate's manual assignment: a template, or None for "no signature"."""

    template_id: int | None
    # False when the chosen template has no published version any more: the rules decide instead.
    template_published: bool = True

    @property
    def applies(self) -> bool:
        """Whether it overrides the rules (always for "no signature")."""
        return self.template_id is None or self.template_published


@dataclass(frozen=True)
class Assignment:
    """Which template a teammate gets (None: no signature) and why."""

    template_id: int | None
    reason: AssignmentReason
    rule_id: int | None = None
    rule_name: str = ""


INACTIVE = Assignment(None, AssignmentReason.INACTIVE)
NOT_YET_ACTIVE = Assignment(None, AssignmentReason.NOT_YET_ACTIVE)


def assign(
    *,
    values: Mapping[str, str],
    active: bool,
    rules: Sequence[RuleSpec],
    default_template_id: int | None,
    manual: ManualSpec | None,
    waiting: bool = False,
) -> Assignment:
    """The assignment of one teammate: pure, `rules` in priority order (first match wins).

    `default_template_id` must already be None when the default template is not assignable;
    `waiting`: the teammate is not yet active and no setting gives them a signature.
    """
    if not active:
        return INACTIVE
    if waiting:
        return NOT_YET_ACTIVE
    if manual is not None and manual.applies:
        return Assignment(manual.template_id, AssignmentReason.MANUAL)
    for rule in rules:
        if rule.matches(values):
            return Assignment(rule.template_id, AssignmentReason.RULE, rule.id, rule.name)
    if default_template_id is not None:
        return Assignment(default_template_id, AssignmentReason.DEFAULT)
    return Assignment(None, AssignmentReason.NONE)


@dataclass(frozen=True)
class RuleSet:
    """Everything assignments depend on besides the teammates: the current one, or a proposal."""

    rules: tuple[RuleSpec, ...] = ()
    default_template_id: int | None = None
    manual: Mapping[int, ManualSpec] = field(default_factory=dict)
    # Sources whose teammates not yet active get signatures all the same (their setting is on).
    sign_not_yet_active: frozenset[str] = frozenset()

    def assign(
        self,
        *,
        teammate_id: int,
        values: Mapping[str, str],
        active: bool,
        not_yet_active_in: frozenset[str] = frozenset(),
    ) -> Assignment:
        """`assign` for one teammate under this rule set; `not_yet_active_in`: the sources that say
        the teammate is not yet active (empty unless its state is not yet active)."""
        return assign(
            values=values,
            active=active,
            rules=self.rules,
            default_template_id=self.default_template_id,
            manual=self.manual.get(teammate_id),
            waiting=bool(not_yet_active_in) and not (not_yet_active_in & self.sign_not_yet_active),
        )

    def assign_standing(
        self, *, teammate_id: int, values: Mapping[str, str], standing: Standing
    ) -> Assignment:
        """`assign` for one teammate of this `standing`."""
        return self.assign(
            teammate_id=teammate_id,
            values=values,
            active=standing.active,
            not_yet_active_in=standing.not_yet_active_in,
        )


def current_rule_set(*, session: Session, assume_published: Collection[int] = ()) -> RuleSet:
    """The stored rules (in priority order), default and manual assignments, resolved against the
    templates that can be assigned right now (plus `assume_published`: a publish preview)."""
    published = set(template_catalog(session=session).published) | set(assume_published)
    rows = session.execute(
        select(AssignmentRule).order_by(col(AssignmentRule.position), col(AssignmentRule.id))
    )
    rules = tuple(RuleSpec.from_row(rule, published=published) for rule in rows.scalars())
    default = session.get(AssignmentDefault, DEFAULT_ROW_ID)
    default_id = default.template_id if default is not None else None
    manual = {
        row.teammate_id: ManualSpec(row.template_id, row.template_id is None or row.template_id in published)
        for row in session.execute(select(ManualAssignment)).scalars()
    }
    allowed = session.execute(
        select(SourceAssignmentSetting.source).where(
            col(SourceAssignmentSetting.sign_not_yet_active).is_(True)
        )
    )
    return RuleSet(
        rules=rules,
        default_template_id=default_id if default_id in published else None,
        manual=manual,
        sign_not_yet_active=frozenset(str(source) for source in allowed.scalars()),
    )


def rule_values(
    *, session: Session, teammate_ids: Sequence[int], keys: Collection[str] | None = None
) -> dict[int, dict[str, str]]:
    """Each teammate's smart-field values as rules compare them: their own value, no fallback.

    Only the fields in `keys` are computed (None: every field): rules usually test two or three of
    them, and formatting every field (phone numbers especially) for thousands of teammates is most of
    the cost. A key with no smart field is left out, so conditions on it never hold.
    """
    typed = cast(sqlmodel.Session, session)
    fields = [smart for smart in known_fields(session=typed) if keys is None or smart.key in keys]
    if not fields:
        return {teammate_id: {} for teammate_id in teammate_ids}
    prepared = prepare_fields(fields)
    profiles = okta_profiles(session=typed, teammate_ids=teammate_ids)
    kept = local_values(session=typed, teammate_ids=teammate_ids)
    result: dict[int, dict[str, str]] = {}
    for teammate_id in teammate_ids:
        found = compute_prepared(prepared, profiles.get(teammate_id, {}), kept.get(teammate_id, {}))
        result[teammate_id] = {
            key: "" if key in found.missing else text for key, text in found.values.items()
        }
    return result


def tested_keys(*rule_sets: RuleSet) -> frozenset[str]:
    """The smart-field keys the rules of `rule_sets` test."""
    return frozenset(
        condition.field for rule_set in rule_sets for rule in rule_set.rules for condition in rule.conditions
    )


def teammate_activity(*, session: Session, teammate_ids: Collection[int] | None) -> dict[int, bool]:
    """Whether each teammate is active (every teammate when `teammate_ids` is None)."""
    query = select(Teammate.id, Teammate.active)
    if teammate_ids is None:
        return {row[0]: bool(row[1]) for row in session.execute(query) if row[0] is not None}
    ids = sorted(set(teammate_ids))
    found: dict[int, bool] = {}
    for start in range(0, len(ids), ID_BATCH):  # bounded IN lists (database parameter limits)
        batch = query.where(col(Teammate.id).in_(ids[start : start + ID_BATCH]))
        found.update({row[0]: bool(row[1]) for row in session.execute(batch) if row[0] is not None})
    return found


@dataclass(frozen=True)
class Standing:
    """Where a teammate stands, as assignments need it: `active` (not inactive) and, for a teammate
    not yet active, the sources that say so (their settings may give signatures all the same)."""

    active: bool
    not_yet_active_in: frozenset[str] = frozenset()


ACTIVE_STANDING = Standing(True)
# A teammate whose state is not yet active but whose records were not found (never expected).
UNKNOWN_SOURCE = ""


def teammate_standing(*, session: Session, teammate_ids: Collection[int] | None) -> dict[int, Standing]:
    """Each teammate's `Standing` (every teammate when `teammate_ids` is None), in a few queries."""
    query = select(Teammate.id, Teammate.active, Teammate.state)
    rows: list[Any] = []
    if teammate_ids is None:
        rows = list(session.execute(query))
    else:
        ids = sorted(set(teammate_ids))
        for start in range(0, len(ids), ID_BATCH):  # bounded IN lists (database parameter limits)
            rows += session.execute(query.where(col(Teammate.id).in_(ids[start : start + ID_BATCH])))
    waiting = [row[0] for row in rows if row[1] and row[2] == TeammateState.NOT_YET_ACTIVE]
    sources: dict[int, set[str]] = {}
    for start in range(0, len(waiting), ID_BATCH):
        found = session.execute(
            select(SourceRecord.teammate_id, SourceRecord.source).where(
                col(SourceRecord.teammate_id).in_(waiting[start : start + ID_BATCH]),
                col(SourceRecord.state) == TeammateState.NOT_YET_ACTIVE,
                col(SourceRecord.removed_at).is_(None),
            )
        )
        for teammate_id, source in found:
            sources.setdefault(teammate_id, set()).add(source)
    pending = set(waiting)
    result: dict[int, Standing] = {}
    for teammate_id, active, _state in rows:
        if teammate_id is None:
            continue
        if teammate_id in pending:
            result[teammate_id] = Standing(True, frozenset(sources.get(teammate_id) or {UNKNOWN_SOURCE}))
        else:
            result[teammate_id] = ACTIVE_STANDING if active else Standing(False)
    return result


def assign_all(
    rule_set: RuleSet, standing: Mapping[int, Standing], values: Mapping[int, Mapping[str, str]]
) -> dict[int, Assignment]:
    """`rule_set` applied to every teammate of `standing` (pure; inactive ones need no values)."""
    return {
        teammate_id: rule_set.assign_standing(
            teammate_id=teammate_id, values=values.get(teammate_id, {}), standing=each
        )
        for teammate_id, each in standing.items()
    }


def assignments_for(
    *, session: Session, teammate_ids: Collection[int] | None, assume_published: Collection[int] = ()
) -> dict[int, Assignment]:
    """The assignment of each teammate (every teammate when `teammate_ids` is None), in a few
    queries whatever their number; unknown ids are left out.

    `assume_published`: template ids to count as published (what publishing a template for the
    first time would do: rules pointing at it start to match).
    """
    standing = teammate_standing(session=session, teammate_ids=teammate_ids)
    active_ids = sorted(teammate_id for teammate_id, each in standing.items() if each.active)
    rule_set = current_rule_set(session=session, assume_published=assume_published)
    keys = tested_keys(rule_set)
    values = rule_values(session=session, teammate_ids=active_ids, keys=keys) if active_ids and keys else {}
    return assign_all(rule_set, standing, values)
