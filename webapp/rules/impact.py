"""What a change to the rules would do, before it is saved: whose signature changes, from what to what.

Computed in memory by running `assign` for every active teammate under the current and the proposed
rule sets; nothing is written. The same computation, repeated when the change is saved, gives the
teammates `rules_changed` names.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.orm import Session
from sqlmodel import col, select

from webapp.rules.evaluate import (
    ACTIVE_STANDING,
    Assignment,
    RuleSet,
    rule_values,
    teammate_standing,
    tested_keys,
)
from webapp.teammates.models import Teammate

# How many names the preview lists before "and N more".
PREVIEW_NAMES = 50


@dataclass(frozen=True)
class ImpactRow:
    """One teammate whose template changes."""

    teammate_id: int
    name: str
    before: Assignment
    after: Assignment


@dataclass(frozen=True)
class Impact:
    """The effect of a change: `changed` (template changes, by name) and `reassigned` (template,
    reason or rule changes: what the signatures area re-renders)."""

    changed: tuple[ImpactRow, ...]
    reassigned: frozenset[int]

    @property
    def count(self) -> int:
        """How many teammates' templates change."""
        return len(self.changed)

    @property
    def shown(self) -> tuple[ImpactRow, ...]:
        """The rows the preview lists by name."""
        return self.changed[:PREVIEW_NAMES]

    @property
    def more(self) -> int:
        """How many changed teammates the preview does not name ("and N more")."""
        return max(0, self.count - PREVIEW_NAMES)


def teammate_label(teammate_id: int, display_name: str | None, email: str | None) -> str:
    """How a teammate is named in lists: display name, else email, else "Teammate 12"."""
    return display_name or email or f"Teammate {teammate_id}"


def compute_impact(
    *,
    session: Session,
    current: RuleSet,
    proposed: RuleSet,
    teammate_ids: Collection[int] | None = None,
) -> Impact:
    """The effect of replacing `current` by `proposed` on active teammates (all, or `teammate_ids`).

    Inactive teammates get no signature under any rule set, so they never change.
    """
    query = select(Teammate.id, Teammate.display_name, Teammate.email).where(col(Teammate.active).is_(True))
    if teammate_ids is not None:
        query = query.where(col(Teammate.id).in_(list(teammate_ids)))
    people = {row[0]: teammate_label(row[0], row[1], row[2]) for row in session.execute(query) if row[0]}
    if current == proposed or not people:
        return Impact(changed=(), reassigned=frozenset())
    keys = tested_keys(current, proposed)
    values = rule_values(session=session, teammate_ids=sorted(people), keys=keys) if keys else {}
    # Teammates not yet active depend on their sources' settings (which a change may turn on).
    standing = teammate_standing(session=session, teammate_ids=sorted(people))
    changed: list[ImpactRow] = []
    reassigned: set[int] = set()
    for teammate_id, name in people.items():
        own = values.get(teammate_id, {})
        each = standing.get(teammate_id, ACTIVE_STANDING)
        before = current.assign_standing(teammate_id=teammate_id, values=own, standing=each)
        after = proposed.assign_standing(teammate_id=teammate_id, values=own, standing=each)
        if before != after:
            reassigned.add(teammate_id)
        if before.template_id != after.template_id:
            changed.append(ImpactRow(teammate_id, name, before, after))
    changed.sort(key=lambda row: (row.name.casefold(), row.teammate_id))
    return Impact(changed=tuple(changed), reassigned=frozenset(reassigned))
