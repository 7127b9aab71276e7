"""Data access for sync runs, each source's sync state (settings, watermark, lock) and holds.

Typed, keyword-only functions taking a `Session`; they never commit. The Sync page reads runs,
the state and pending holds from here; confirming or dismissing a hold is `webapp.sync.holds`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, or_
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, delete, select, update

from webapp.db import utcnow
from webapp.sync.full_interval import FULL_SYNC_HOURS
from webapp.sync.models import (
    ACTIVE_RUN_STATUSES,
    HoldStatus,
    PendingUserCheck,
    SyncHold,
    SyncHoldItem,
    SyncRun,
    SyncRunStatus,
    SyncState,
)
from webapp.teammates.models import Teammate

MIN_POLL_INTERVAL_MINUTES = 1
MAX_POLL_INTERVAL_MINUTES = 60


# ----------------------------------------------------------------------------- state and settings


def get_state(*, session: Session, source: str) -> SyncState:
    """The sync state of `source` (an unsaved blank one if it never synced)."""
    return session.get(SyncState, source) or SyncState(source=source)


def ensure_state(*, session: Session, source: str) -> SyncState:
    """The sync state row of `source`, created (and flushed) if missing."""
    state = session.get(SyncState, source)
    if state is None:
        state = SyncState(source=source)
        session.add(state)
        session.flush()
    return state


def set_poll_interval(*, session: Session, source: str, minutes: int | None) -> SyncState:
    """Set the minutes between incremental syncs (1-60), or None to follow SYNC_INTERVAL_MINUTES.

    Raises ValueError outside 1-60. The scheduler picks the change up at its next lease renewal
    (`jobs.scheduler.reschedule(app)` applies it in this process at once).
    """
    if minutes is not None and not MIN_POLL_INTERVAL_MINUTES <= minutes <= MAX_POLL_INTERVAL_MINUTES:
        raise ValueError(
            f"The sync interval must be {MIN_POLL_INTERVAL_MINUTES} to {MAX_POLL_INTERVAL_MINUTES} minutes."
        )
    state = ensure_state(session=session, source=source)
    state.poll_interval_minutes = minutes
    state.updated_at = utcnow()
    session.add(state)
    return state


def set_full_sync_interval(*, session: Session, source: str, hours: int | None) -> SyncState:
    """Set the hours between full syncs (one of `full_interval.FULL_SYNC_HOURS`), or None for the
    default by the org's size. Raises ValueError otherwise. The scheduler follows as for
    `set_poll_interval`."""
    if hours is not None and hours not in FULL_SYNC_HOURS:
        raise ValueError("Choose one of " + ", ".join(str(choice) for choice in FULL_SYNC_HOURS) + " hours.")
    state = ensure_state(session=session, source=source)
    state.full_sync_interval_hours = hours
    state.updated_at = utcnow()
    session.add(state)
    return state


def request_full_sync(*, session: Session, source: str) -> SyncState:
    """Remember that a full sync was asked for (the next sync of `source` runs as a full one)."""
    state = ensure_state(session=session, source=source)
    state.full_sync_requested_at = state.full_sync_requested_at or utcnow()
    session.add(state)
    return state


# ----------------------------------------------------------------------------- the lock


def claim_lock(
    *,
    session: Session,
    source: str,
    owner: str,
    now: datetime,
    ttl: timedelta,
    stale_owner: str | None = None,
) -> bool:
    """Take the sync lock of `source` for `owner` until `now + ttl`, or renew it: True if `owner`
    holds it now. One conditional UPDATE, so of two claimers exactly one wins (SQLite and
    PostgreSQL alike). `stale_owner` names a holder known dead (its process is gone): taken over.
    """
    ensure_state(session=session, source=source)
    free = or_(
        col(SyncState.lock_owner).is_(None),
        col(SyncState.lock_owner) == owner,
        col(SyncState.lock_expires_at) <= now,
    )
    if stale_owner is not None:
        free = or_(free, col(SyncState.lock_owner) == stale_owner)
    result = session.exec(
        update(SyncState)
        .where(col(SyncState.source) == source)
        .where(free)
        .values(lock_owner=owner, lock_expires_at=now + ttl)
    )
    return bool(result.rowcount == 1)


def set_lock_run(*, session: Session, source: str, owner: str, run_id: int | None) -> None:
    """Record which run the lock holder is running."""
    session.exec(
        update(SyncState)
        .where(col(SyncState.source) == source)
        .where(col(SyncState.lock_owner) == owner)
        .values(lock_run_id=run_id)
    )


def release_lock(*, session: Session, source: str, owner: str) -> bool:
    """Free the lock if `owner` holds it."""
    result = session.exec(
        update(SyncState)
        .where(col(SyncState.source) == source)
        .where(col(SyncState.lock_owner) == owner)
        .values(lock_owner=None, lock_expires_at=None, lock_run_id=None)
    )
    return bool(result.rowcount == 1)


# ----------------------------------------------------------------------------- runs


def get_run(*, session: Session, run_id: int) -> SyncRun | None:
    """One run by id."""
    return session.get(SyncRun, run_id)


def latest_runs(*, session: Session, source: str | None = None, limit: int = 20) -> list[SyncRun]:
    """The newest runs first (of `source`, or of every source)."""
    statement = select(SyncRun)
    if source is not None:
        statement = statement.where(SyncRun.source == source)
    statement = statement.order_by(col(SyncRun.started_at).desc(), col(SyncRun.id).desc()).limit(limit)
    return list(session.exec(statement).all())


def current_run(*, session: Session, source: str | None = None) -> SyncRun | None:
    """The run in progress (running or waiting for a rate-limit window), if any."""
    statement = select(SyncRun).where(col(SyncRun.status).in_([str(s) for s in ACTIVE_RUN_STATUSES]))
    if source is not None:
        statement = statement.where(SyncRun.source == source)
    return session.exec(statement.order_by(col(SyncRun.id).desc())).first()


def last_finished_run(
    *, session: Session, source: str | None = None, kind: str | None = None
) -> SyncRun | None:
    """The newest run that finished (succeeded, failed or held), of `kind` if given."""
    statement = select(SyncRun).where(col(SyncRun.finished_at).is_not(None))
    if source is not None:
        statement = statement.where(SyncRun.source == source)
    if kind is not None:
        statement = statement.where(SyncRun.kind == kind)
    return session.exec(statement.order_by(col(SyncRun.id).desc())).first()


def fail_abandoned_runs(*, session: Session, source: str, now: datetime, reason: str) -> int:
    """Mark runs of `source` still RUNNING/WAITING as FAILED (their process died: kill -9, power
    loss). Called by the lock holder, so no live run of `source` can be among them."""
    result = session.exec(
        update(SyncRun)
        .where(col(SyncRun.source) == source)
        .where(col(SyncRun.status).in_([str(s) for s in ACTIVE_RUN_STATUSES]))
        .values(status=SyncRunStatus.FAILED, finished_at=now, waiting_until=None, error=reason)
    )
    return int(result.rowcount or 0)


def prune_runs(*, session: Session, keep_days: int = 30, keep_at_least: int = 200) -> int:
    """Delete runs older than `keep_days` beyond the newest `keep_at_least` that changed nothing
    (incremental no-ops every minute would otherwise pile up); runs with changes or holds stay."""
    newest = select(SyncRun.id).order_by(col(SyncRun.id).desc()).offset(keep_at_least).limit(1)
    boundary = session.exec(newest).first()
    if boundary is None:
        return 0
    cutoff = utcnow() - timedelta(days=keep_days)
    result = session.exec(
        delete(SyncRun)
        .where(col(SyncRun.id) <= boundary)
        .where(col(SyncRun.started_at) < cutoff)
        .where(
            col(SyncRun.created)
            + SyncRun.updated
            + SyncRun.deactivated
            + SyncRun.reactivated
            + SyncRun.removed
            == 0
        )
        .where(col(SyncRun.held) == 0)
    )
    return int(result.rowcount or 0)


# ----------------------------------------------------------------------------- holds


def get_hold(*, session: Session, hold_id: int) -> SyncHold | None:
    """One hold by id."""
    return session.get(SyncHold, hold_id)


def pending_holds(*, session: Session, source: str | None = None) -> list[SyncHold]:
    """Holds waiting for an admin, oldest first."""
    statement = select(SyncHold).where(SyncHold.status == HoldStatus.PENDING)
    if source is not None:
        statement = statement.where(SyncHold.source == source)
    return list(session.exec(statement.order_by(col(SyncHold.id))).all())


def hold_items(
    *, session: Session, hold_id: int, offset: int = 0, limit: int = 100
) -> list[tuple[SyncHoldItem, Teammate]]:
    """The teammates a hold keeps (with what it would do to each), by display name."""
    statement = (
        select(SyncHoldItem, Teammate)
        .join(Teammate, col(Teammate.id) == col(SyncHoldItem.teammate_id))
        .where(SyncHoldItem.hold_id == hold_id)
        .order_by(func.lower(col(Teammate.display_name)), col(Teammate.id))
        .offset(offset)
        .limit(limit)
    )
    return [(item, teammate) for item, teammate in session.exec(statement).all()]


def hold_teammate_ids(*, session: Session, hold_id: int) -> frozenset[int]:
    """The ids of every teammate a hold keeps."""
    statement = select(SyncHoldItem.teammate_id).where(SyncHoldItem.hold_id == hold_id)
    return frozenset(int(teammate_id) for teammate_id in session.exec(statement).all())


def count_hold_items(*, session: Session, hold_id: int) -> int:
    """How many teammates a hold keeps."""
    statement = select(func.count()).select_from(SyncHoldItem).where(SyncHoldItem.hold_id == hold_id)
    return int(session.exec(statement).one())


# ----------------------------------------------------------------------------- pending user checks


def add_pending_checks(*, session: Session, external_ids: Sequence[str], at: datetime) -> int:
    """Ask for each of `external_ids` to be looked up at Okta soon; returns how many were asked for.

    One row per user however many events named them; an id already pending gets `at` as its new
    request time, so a drain that read it before this request does not clear it (`clear_checks`).
    One INSERT ... ON CONFLICT, so concurrent deliveries naming the same user never collide.
    The caller validates the ids' shape first: these come from an event hook's body.
    """
    wanted = list(dict.fromkeys(external_ids))
    if not wanted:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(PendingUserCheck).values(
        [{"external_id": external_id, "requested_at": at} for external_id in wanted]
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["external_id"], set_={"requested_at": statement.excluded.requested_at}
        )
    )
    return len(wanted)


def pending_checks(*, session: Session, limit: int) -> list[tuple[str, datetime]]:
    """Up to `limit` pending user ids with their request times, oldest request first."""
    statement = (
        select(PendingUserCheck.external_id, PendingUserCheck.requested_at)
        .order_by(col(PendingUserCheck.requested_at), col(PendingUserCheck.external_id))
        .limit(limit)
    )
    return [(external_id, requested_at) for external_id, requested_at in session.exec(statement).all()]


def count_pending_checks(*, session: Session) -> int:
    """How many user checks are waiting."""
    return int(session.exec(select(func.count()).select_from(PendingUserCheck)).one())


def clear_checks(
    *, session: Session, external_ids: Sequence[str], asked_until: datetime | None = None
) -> None:
    """Forget the pending checks of `external_ids` (they were looked up); with `asked_until`, only
    those not asked for again after it (a new event during the lookup keeps its check)."""
    if external_ids:
        statement = delete(PendingUserCheck).where(col(PendingUserCheck.external_id).in_(list(external_ids)))
        if asked_until is not None:
            statement = statement.where(col(PendingUserCheck.requested_at) <= asked_until)
        session.exec(statement)
