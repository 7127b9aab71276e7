"""What the export API returns: current signatures of active teammates, paged by teammate id.

Read-only, typed, keyword-only functions taking a `Session`. Paging by teammate id keeps each
page's membership stable while signatures change (an offset into an id-ordered list only shifts
when a teammate gains or loses a signature).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from webapp.pagination import page_count
from webapp.signatures.models import Signature
from webapp.teammates.models import Teammate

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 500


@dataclass(frozen=True)
class ExportPage:
    """One page of current signatures: (teammate, signature) pairs by teammate id."""

    items: list[tuple[Teammate, Signature]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one, even when empty)."""
        return page_count(self.total, self.per_page)


def export_page(*, session: Session, page: int, per_page: int) -> ExportPage:
    """Page `page` (from 1) of `per_page` current signatures, by teammate id."""
    counting = (
        select(func.count())
        .select_from(Signature)
        .join(Teammate, col(Teammate.id) == col(Signature.teammate_id))
        .where(col(Teammate.active).is_(True))
    )
    total = int(session.exec(counting).one())
    statement = (
        select(Teammate, Signature)
        .join(Signature, col(Signature.teammate_id) == col(Teammate.id))
        .where(col(Teammate.active).is_(True))
        .order_by(col(Teammate.id))
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    items = [(teammate, signature) for teammate, signature in session.exec(statement).all()]
    return ExportPage(items=items, total=total, page=page, per_page=per_page)


def export_one(*, session: Session, teammate_id: int) -> tuple[Teammate, Signature] | None:
    """The active teammate and their current signature, or None (unknown, inactive, no signature)."""
    statement = (
        select(Teammate, Signature)
        .join(Signature, col(Signature.teammate_id) == col(Teammate.id))
        .where(col(Teammate.id) == teammate_id, col(Teammate.active).is_(True))
    )
    found = session.exec(statement).first()
    return (found[0], found[1]) if found is not None else None
