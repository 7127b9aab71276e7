"""Deactivations and removals, decided for all teammates at once at the end of a successful run,
and held for an admin when there are suspiciously many.

A teammate is *due* to become inactive when it is active but none of its records is both active
and still returned by its source. At the end of every successful run the due teammates are
counted; if there are more than the threshold (a share of the active teammates, at least a
minimum) they are held: nothing happens to them until an admin confirms (`confirm_hold`) or
dismisses (`dismiss_hold`) the hold. Otherwise they are made inactive at once. Teammates a run
found due but could not decide on (it failed, or `kill -9` stopped it) are still due at the next
successful run: nothing is lost, and no failed run retires anyone.

Everything is set-based SQL: a mass deactivation of 10,000 teammates never loads them in Python.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    union,
    update,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from webapp.db import UTCDateTime, utcnow
from webapp.sync.models import HoldAction, HoldStatus, SyncHold, SyncHoldItem
from webapp.teammates.models import ChangeKind, SourceRecord, Teammate, TeammateChange, TeammateState

DEFAULT_HOLD_FRACTION = 0.20
DEFAULT_HOLD_MINIMUM = 5
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class HoldError(ValueError):
    """The hold cannot be confirmed or dismissed (unknown, or already resolved)."""


@dataclass(frozen=True)
class Decision:
    """What the end of a run did about teammates due to become inactive."""

    deactivated: int = 0
    removed: int = 0
    held: int = 0
    hold_id: int | None = None


def hold_threshold(active_teammates: int, *, fraction: float, minimum: int) -> int:
    """The most deactivations/removals one run may apply without an admin: `fraction` of the
    active teammates, and never fewer than `minimum`."""
    return max(minimum, math.floor(active_teammates * fraction))


def _has_live_record() -> ColumnElement[bool]:
    return exists().where(
        col(SourceRecord.teammate_id) == col(Teammate.id),
        col(SourceRecord.active).is_(True),
        col(SourceRecord.removed_at).is_(None),
    )


def _has_record() -> ColumnElement[bool]:
    return exists().where(col(SourceRecord.teammate_id) == col(Teammate.id))


def _all_records_removed() -> ColumnElement[bool]:
    return ~exists().where(
        col(SourceRecord.teammate_id) == col(Teammate.id), col(SourceRecord.removed_at).is_(None)
    )


def _newest_record_stamp() -> Any:
    return (
        select(func.max(col(SourceRecord.source_updated_at)))
        .where(col(SourceRecord.teammate_id) == col(Teammate.id))
        .correlate(Teammate)  # explicit: it is also nested two levels down, in `_kept_by_a_hold`
        .scalar_subquery()
    )


def _first_record_status() -> Any:
    return (
        select(col(SourceRecord.status))
        .where(col(SourceRecord.teammate_id) == col(Teammate.id))
        .order_by(col(SourceRecord.id))
        .limit(1)
        .correlate(Teammate)
        .scalar_subquery()
    )


def _kept_by_a_hold() -> ColumnElement[bool]:
    """Held and waiting for an admin, or dismissed while its records have not changed since."""
    epoch = literal(_EPOCH, UTCDateTime())
    unchanged_since = func.coalesce(col(SyncHoldItem.records_updated_at), epoch) >= func.coalesce(
        _newest_record_stamp(), epoch
    )
    return exists().where(
        col(SyncHoldItem.teammate_id) == col(Teammate.id),
        col(SyncHold.id) == col(SyncHoldItem.hold_id),
        or_(
            col(SyncHold.status) == HoldStatus.PENDING,
            and_(col(SyncHold.status) == HoldStatus.DISMISSED, unchanged_since),
        ),
    )


def _owners_of_records_not_live() -> Any:
    """Teammates with a record that is inactive or removed: the only ones that can be due. Found
    through the indexes on `active` and `removed_at`, so deciding costs the same for 100 or
    100,000 teammates."""
    return union(
        select(col(SourceRecord.teammate_id)).where(col(SourceRecord.active).is_(False)),
        select(col(SourceRecord.teammate_id)).where(col(SourceRecord.removed_at).is_not(None)),
    )


def _due() -> ColumnElement[bool]:
    """Active teammates none of whose records is active and present, not kept by a hold."""
    return and_(
        col(Teammate.id).in_(_owners_of_records_not_live()),
        col(Teammate.active).is_(True),
        ~_has_live_record(),
        ~_kept_by_a_hold(),
    )


def count_due(*, session: Session) -> tuple[int, int]:
    """How many teammates are due to become inactive, and how many of those are removals."""
    removed = func.sum(case((_all_records_removed(), 1), else_=0))
    row = session.execute(select(func.count(), removed).select_from(Teammate).where(_due())).one()
    return int(row[0] or 0), int(row[1] or 0)


def decide(
    *,
    session: Session,
    source: str,
    run_id: int,
    now: datetime,
    fraction: float = DEFAULT_HOLD_FRACTION,
    minimum: int = DEFAULT_HOLD_MINIMUM,
) -> Decision:
    """At the end of a successful run: apply the due deactivations/removals, or hold them all."""
    due, removals = count_due(session=session)
    if due == 0:
        return Decision()
    active = int(
        session.execute(select(func.count()).select_from(Teammate).where(col(Teammate.active))).scalar_one()
    )
    threshold = hold_threshold(active, fraction=fraction, minimum=minimum)
    if due <= threshold:
        deactivated, removed = _apply(session, where=_due(), run_id=run_id, now=now)
        return Decision(deactivated=deactivated, removed=removed)
    hold = SyncHold(
        source=source,
        sync_run_id=run_id,
        created_at=now,
        deactivate_count=due - removals,
        remove_count=removals,
        active_teammates=active,
        threshold=threshold,
    )
    session.add(hold)
    session.flush()
    action = case(
        (_all_records_removed(), literal(HoldAction.REMOVE.value, String())),
        else_=literal(HoldAction.DEACTIVATE.value, String()),
    )
    session.execute(
        insert(SyncHoldItem).from_select(
            ["hold_id", "teammate_id", "action", "records_updated_at"],
            select(literal(hold.id, Integer()), col(Teammate.id), action, _newest_record_stamp()).where(
                _due()
            ),
        )
    )
    return Decision(held=due, hold_id=hold.id)


def _apply(
    session: Session, *, where: ColumnElement[bool], run_id: int | None, now: datetime
) -> tuple[int, int]:
    """Make the teammates matching `where` inactive, with a history row each; (deactivated, removed)."""
    gone = _all_records_removed()
    kind = case(
        (gone, literal(ChangeKind.REMOVED.value, String())),
        else_=literal(ChangeKind.DEACTIVATED.value, String()),
    )
    counted = session.execute(
        select(func.count(), func.sum(case((gone, 1), else_=0))).select_from(Teammate).where(where)
    ).one()
    total, removed = int(counted[0] or 0), int(counted[1] or 0)
    if total == 0:
        return 0, 0
    session.execute(
        insert(TeammateChange).from_select(
            ["teammate_id", "sync_run_id", "changed_at", "kind", "changes", "status_from", "status_to"],
            select(
                col(Teammate.id),
                literal(run_id, Integer()),
                literal(now, UTCDateTime()),
                kind,
                literal_column("'{}'"),
                literal(None, String()),
                _first_record_status(),
            ).where(where),
        )
    )
    session.execute(
        update(Teammate)
        .where(col(Teammate.id).in_(select(col(Teammate.id)).where(where).scalar_subquery()))
        .values(active=False, state=TeammateState.INACTIVE.value, deactivated_at=now, updated_at=now)
    )
    return total - removed, removed


def _pending(session: Session, hold_id: int) -> SyncHold:
    hold = session.get(SyncHold, hold_id, with_for_update=True)
    if hold is None:
        raise HoldError("This hold no longer exists.")
    if hold.status != HoldStatus.PENDING:
        raise HoldError(f"This hold was already {hold.status}.")
    return hold


def confirm_hold(*, session: Session, hold_id: int, admin_id: int | None) -> SyncHold:
    """Apply a pending hold: its teammates that are still due become inactive (those a source has
    brought back since stay active). The caller commits. Raises `HoldError` if it is not pending."""
    hold = _pending(session, hold_id)
    in_hold = exists().where(
        col(SyncHoldItem.hold_id) == hold_id, col(SyncHoldItem.teammate_id) == col(Teammate.id)
    )
    still_due = and_(col(Teammate.active).is_(True), _has_record(), ~_has_live_record(), in_hold)
    now = utcnow()
    deactivated, removed = _apply(session, where=still_due, run_id=hold.sync_run_id, now=now)
    hold.status = HoldStatus.CONFIRMED
    hold.resolved_at = now
    hold.resolved_by_admin_id = admin_id
    hold.applied_count = deactivated + removed
    session.add(hold)
    return hold


def dismiss_hold(*, session: Session, hold_id: int, admin_id: int | None) -> SyncHold:
    """Dismiss a pending hold: its teammates stay active, and later runs leave them so until a
    source changes their record again. The caller commits. Raises `HoldError` if it is not pending."""
    hold = _pending(session, hold_id)
    hold.status = HoldStatus.DISMISSED
    hold.resolved_at = utcnow()
    hold.resolved_by_admin_id = admin_id
    hold.applied_count = 0
    session.add(hold)
    return hold


def apply_confirmed(
    *, session: Session, teammate_ids: Collection[int], run_id: int | None, now: datetime
) -> tuple[int, int]:
    """Make inactive at once, without a hold, those of `teammate_ids` that are active while none
    of their records is both active and present: the source confirmed it by looking each of them
    up by id (a targeted check, or an absence from a full listing confirmed), so no broken listing
    can be behind it. Returns (deactivated, removed). The caller commits."""
    if not teammate_ids:
        return 0, 0
    confirmed = and_(
        col(Teammate.id).in_(sorted(teammate_ids)),
        col(Teammate.active).is_(True),
        _has_record(),
        ~_has_live_record(),
    )
    return _apply(session, where=confirmed, run_id=run_id, now=now)
