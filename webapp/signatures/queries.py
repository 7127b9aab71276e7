"""Reads for the signatures pages, the dashboard panel, the teammate page and the Teammates table.

Typed, keyword-only functions taking a `Session`; they never commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session as AnySession
from sqlmodel import Session, col, select

from webapp.rules.evaluate import AssignmentReason
from webapp.signature_templates.models import SignatureTemplate
from webapp.signatures import store
from webapp.signatures.causes import describe
from webapp.signatures.models import Signature, SignatureChange, SignatureRenderError
from webapp.sources.base import TeammateState
from webapp.teammates.models import Teammate

NO_SIGNATURE = "none"  # the Teammates table's filter value for "no signature"
LATEST_ON_DASHBOARD = 8
CHANGES_PAGE_SIZE = 25


class AssignmentKind:
    """How the Teammates table says a teammate got their template."""

    MANUAL = "manual"
    AUTOMATIC = "automatic"
    NONE = "none"


def assignment_kind(reason: str | None) -> str:
    """ "manual", "automatic" (a rule or the default) or "none"."""
    if reason == AssignmentReason.MANUAL:
        return AssignmentKind.MANUAL
    if reason in (AssignmentReason.RULE, AssignmentReason.DEFAULT):
        return AssignmentKind.AUTOMATIC
    return AssignmentKind.NONE


@dataclass(frozen=True)
class ChangeRow:
    """A history entry as the pages show it: the change, the one before, and why in words."""

    change: SignatureChange
    previous: SignatureChange | None
    teammate_name: str
    sentences: list[str]

    @property
    def removed(self) -> bool:
        """The signature disappeared in this change."""
        return self.change.content_hash is None

    @property
    def template_name(self) -> str:
        """The template's name when this change was made ("" when none)."""
        return str(self.change.cause.get("assigned_template_name") or "")

    @property
    def rule_name(self) -> str:
        """The matching rule's name when this change was made ("" when no rule matched)."""
        return str(self.change.cause.get("assigned_rule_name") or "")


def change_rows(
    *, session: Session, changes: Sequence[SignatureChange], names: Mapping[int, str] | None = None
) -> list[ChangeRow]:
    """`changes` with the entry before each and their causes in words."""
    previous = store.previous_changes(session=session, changes=changes)
    names = (
        names
        if names is not None
        else teammate_names(session=session, teammate_ids={c.teammate_id for c in changes})
    )
    rows = []
    for change in changes:
        before = previous.get(change.id or 0)
        assignment_changed = before is None or (before.template_id, before.rule_id) != (
            change.template_id,
            change.rule_id,
        )
        sentences = describe(
            change.cause or {}, removed=change.content_hash is None, assignment_changed=assignment_changed
        )
        rows.append(ChangeRow(change, before, names.get(change.teammate_id, ""), sentences))
    return rows


def teammate_names(*, session: Session, teammate_ids: set[int] | Sequence[int]) -> dict[int, str]:
    """Each teammate's display name (or email)."""
    if not teammate_ids:
        return {}
    rows = session.execute(
        select(col(Teammate.id), col(Teammate.display_name), col(Teammate.email)).where(
            col(Teammate.id).in_(sorted(teammate_ids))
        )
    ).all()
    return {int(row[0]): row[1] or row[2] or f"Teammate {row[0]}" for row in rows}


def template_names(*, session: Session) -> dict[int, str]:
    """Every template's name, by id."""
    rows = session.execute(select(col(SignatureTemplate.id), col(SignatureTemplate.name))).all()
    return {int(row[0]): str(row[1]) for row in rows}


@dataclass(frozen=True)
class SignatureSummary:
    """The dashboard's view of signatures."""

    with_signature: int
    with_missing_data: int
    without_signature: int
    # Not yet active (Okta STAGED) and without a signature: future hires, told apart from the active
    # teammates a signature is missing for (they get one only where the admin allows it).
    not_yet_active_without_signature: int
    latest: list[ChangeRow]
    errors: list[SignatureRenderError]
    template_names: dict[int, str]


def _without_signature(session: Session, state: TeammateState) -> int:
    """How many teammates in `state` (active or not yet active) have no signature."""
    statement = (
        select(func.count())
        .select_from(Teammate)
        .where(
            col(Teammate.active).is_(True),  # `active` is False for every inactive teammate
            col(Teammate.state) == state,
            col(Teammate.id).not_in(select(col(Signature.teammate_id))),
        )
    )
    return int(session.exec(statement).one())


def signature_summary(*, session: Session, latest: int = LATEST_ON_DASHBOARD) -> SignatureSummary:
    """Counts (with a signature, with missing data, active without one), the latest changes, errors."""
    with_signature = int(session.exec(select(func.count()).select_from(Signature)).one())
    missing = int(
        session.exec(
            select(func.count()).select_from(Signature).where(col(Signature.missing_count) > 0)
        ).one()
    )
    without = _without_signature(session, TeammateState.ACTIVE)
    not_yet_active = _without_signature(session, TeammateState.NOT_YET_ACTIVE)
    changes = store.latest_changes(session=session, limit=latest)
    return SignatureSummary(
        with_signature=with_signature,
        with_missing_data=missing,
        without_signature=without,
        not_yet_active_without_signature=not_yet_active,
        latest=change_rows(session=session, changes=changes),
        errors=store.render_errors(session=session),
        template_names=template_names(session=session),
    )


@dataclass(frozen=True)
class SignatureCell:
    """The Teammates table's "Signature" cell: the template's name and how it was assigned."""

    template_name: str
    kind: str


def table_cells(session: AnySession, teammate_ids: Sequence[int]) -> dict[int, SignatureCell]:
    """The cells of the shown teammates, in one query (teammates without a signature are left out)."""
    rows = session.execute(
        select(col(Signature.teammate_id), col(Signature.reason), col(SignatureTemplate.name))
        .join(SignatureTemplate, col(SignatureTemplate.id) == col(Signature.template_id), isouter=True)
        .where(col(Signature.teammate_id).in_(list(teammate_ids)))
    ).all()
    return {int(row[0]): SignatureCell(str(row[2] or "?"), assignment_kind(row[1])) for row in rows}


def template_choices(session: AnySession) -> list[tuple[str, str]]:
    """The Template filter's options: templates someone's signature comes from, then "No signature"."""
    rows = session.execute(
        select(col(SignatureTemplate.id), col(SignatureTemplate.name))
        .where(col(SignatureTemplate.id).in_(select(col(Signature.template_id)).distinct()))
        .order_by(func.lower(col(SignatureTemplate.name)))
    ).all()
    return [(str(row[0]), str(row[1])) for row in rows] + [(NO_SIGNATURE, "No signature")]


def teammates_with_template_query(value: str) -> Any:
    """The Template filter: a SELECT of the ids of teammates whose signature comes from template
    `value`, or who have none (`NO_SIGNATURE`); None for a value that means nothing."""
    if value == NO_SIGNATURE:
        return select(col(Teammate.id)).where(col(Teammate.id).not_in(select(col(Signature.teammate_id))))
    if value.isdigit() and len(value) <= 10:
        return select(col(Signature.teammate_id)).where(col(Signature.template_id) == int(value))
    return None
