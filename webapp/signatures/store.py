"""Reads and small writes of the signatures area. Typed, keyword-only, take a `Session`, never commit."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from webapp.pagination import clamp_page, page_count
from webapp.signatures.models import Signature, SignatureChange, SignatureRenderError

HISTORY_PAGE_SIZE = 20
BATCH = 500


def current_signatures(*, session: Session, teammate_ids: Collection[int] | None) -> dict[int, Signature]:
    """The current signature of each teammate that has one (all when `teammate_ids` is None)."""
    if teammate_ids is None:
        return {row.teammate_id: row for row in session.exec(select(Signature)).all()}
    ids = sorted(set(teammate_ids))
    found: dict[int, Signature] = {}
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        for row in session.exec(select(Signature).where(col(Signature.teammate_id).in_(chunk))).all():
            found[row.teammate_id] = row
    return found


def signature_for_teammate(*, session: Session, teammate_id: int) -> Signature | None:
    """The teammate's current signature, or None when they have none."""
    return session.exec(select(Signature).where(col(Signature.teammate_id) == teammate_id)).first()


def teammates_with_template(*, session: Session, template_id: int) -> list[int]:
    """Teammates whose current signature comes from `template_id`."""
    return list(
        session.exec(select(Signature.teammate_id).where(col(Signature.template_id) == template_id)).all()
    )


@dataclass(frozen=True)
class HistoryPage:
    """One page of a teammate's signature history, newest first."""

    changes: list[SignatureChange]
    total: int
    page: int
    page_size: int = HISTORY_PAGE_SIZE

    @property
    def pages(self) -> int:
        """How many pages the history fills (at least one)."""
        return page_count(self.total, self.page_size)


def history_page(*, session: Session, teammate_id: int, page: int = 1) -> HistoryPage:
    """A page of the teammate's signature changes, newest first (a page past the end: the last)."""
    where = col(SignatureChange.teammate_id) == teammate_id
    total = int(session.exec(select(func.count()).select_from(SignatureChange).where(where)).one())
    page = clamp_page(page, total, HISTORY_PAGE_SIZE)
    changes = session.exec(
        select(SignatureChange)
        .where(where)
        .order_by(col(SignatureChange.changed_at).desc(), col(SignatureChange.id).desc())
        .offset((page - 1) * HISTORY_PAGE_SIZE)
        .limit(HISTORY_PAGE_SIZE)
    ).all()
    return HistoryPage(changes=list(changes), total=total, page=page)


def get_change(*, session: Session, teammate_id: int, change_id: int) -> SignatureChange | None:
    """One history entry of this teammate (None if it is another teammate's or unknown)."""
    change = session.get(SignatureChange, change_id)
    return change if change is not None and change.teammate_id == teammate_id else None


def previous_change(*, session: Session, change: SignatureChange) -> SignatureChange | None:
    """The entry just before `change` in its teammate's history (None for the first)."""
    return session.exec(
        select(SignatureChange)
        .where(
            col(SignatureChange.teammate_id) == change.teammate_id,
            (col(SignatureChange.changed_at) < change.changed_at)
            | (
                (col(SignatureChange.changed_at) == change.changed_at) & (col(SignatureChange.id) < change.id)
            ),
        )
        .order_by(col(SignatureChange.changed_at).desc(), col(SignatureChange.id).desc())
        .limit(1)
    ).first()


def next_change(*, session: Session, change: SignatureChange) -> SignatureChange | None:
    """The entry just after `change` in its teammate's history (None for the latest)."""
    return session.exec(
        select(SignatureChange)
        .where(
            col(SignatureChange.teammate_id) == change.teammate_id,
            (col(SignatureChange.changed_at) > change.changed_at)
            | (
                (col(SignatureChange.changed_at) == change.changed_at) & (col(SignatureChange.id) > change.id)
            ),
        )
        .order_by(col(SignatureChange.changed_at), col(SignatureChange.id))
        .limit(1)
    ).first()


def previous_changes(*, session: Session, changes: Collection[SignatureChange]) -> dict[int, SignatureChange]:
    """For each change of a page (one teammate's or everyone's), the entry before it in its teammate's
    history, by change id: pairs within the page, plus one query per teammate for the entry before
    that teammate's oldest one on the page."""
    by_teammate: dict[int, list[SignatureChange]] = {}
    for change in changes:
        by_teammate.setdefault(change.teammate_id, []).append(change)
    found: dict[int, SignatureChange] = {}
    for own in by_teammate.values():
        ordered = sorted(own, key=lambda change: (change.changed_at, change.id or 0))
        for earlier, later in zip(ordered, ordered[1:], strict=False):
            assert later.id is not None
            found[later.id] = earlier
        before = previous_change(session=session, change=ordered[0])
        if before is not None and ordered[0].id is not None:
            found[ordered[0].id] = before
    return found


def latest_changes(*, session: Session, limit: int = 10, offset: int = 0) -> list[SignatureChange]:
    """The most recent signature changes of everyone, newest first."""
    return list(
        session.exec(
            select(SignatureChange)
            .order_by(col(SignatureChange.changed_at).desc(), col(SignatureChange.id).desc())
            .offset(offset)
            .limit(limit)
        ).all()
    )


def count_changes(*, session: Session) -> int:
    """How many signature changes are recorded in all."""
    return int(session.exec(select(func.count()).select_from(SignatureChange)).one())


def render_errors(*, session: Session) -> list[SignatureRenderError]:
    """Published templates that currently fail to render, newest first."""
    return list(
        session.exec(
            select(SignatureRenderError).order_by(col(SignatureRenderError.occurred_at).desc())
        ).all()
    )


def latest_change_statement(*, teammate_id: int) -> Any:
    """A SELECT of the teammate's most recent signature change."""
    return (
        select(SignatureChange)
        .where(col(SignatureChange.teammate_id) == teammate_id)
        .order_by(col(SignatureChange.changed_at).desc(), col(SignatureChange.id).desc())
        .limit(1)
    )
