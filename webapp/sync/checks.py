"""Targeted checks: users looked up by id, so leavers lose their signature within seconds.

Real Okta orgs deactivate and then delete a leaver 0-5 seconds apart (median 1 s over 125 recorded
pairs): an incremental sync (`filter=lastUpdated gt ...`) almost never sees the DEPROVISIONED
status, and a deleted user is invisible to it. So an event hook delivery about users (deactivated,
suspended, deleted, activated, profile updated) also asks for its target users to be checked:

1. `request_checks`, in the transaction that accepts the delivery: the target ids (validated and
   de-duplicated by `webapp.sync.hooks`, at most `MAX_CHECKS_PER_DELIVERY`) become pending rows
   (`PendingUserCheck`), within a budget of `MAX_CHECKS_PER_MINUTE` ids a minute counted in the
   database across every process, so floods of replayed or forged-but-authenticated deliveries
   cannot spend Okta's rate limit (50 requests a minute in some orgs; FACTS §8).
2. `drain`, at the start of every sync run: pending ids are looked up in batches
   (`DirectorySource.lookup_users`: Okta's `filter=id eq "..." or id eq "..."`, one request per 40,
   at most `MAX_CHECK_BATCHES_PER_RUN` a run). Users found go through the normal writer; ids not
   found were deleted: their records are removed. Teammates left with no live record (found
   DEPROVISIONED or SUSPENDED, or deleted) are made inactive at once, without a hold: Okta
   confirmed each of them by id, so no broken listing can be behind it (and a leaver checked
   between the deactivation and the deletion a second later is not held either). The rows are
   cleared in the same transaction as the results.
3. `confirm_absences`, at the end of a full run: users the listing did not return are looked up the
   same way before anything is removed. Confirmed absences are applied at once, without a hold;
   users the lookup still finds (a listing that skipped them) are kept and written, and the hold
   (`webapp.sync.holds`) still guards what remains due.

The event body stays a hint: only ids are read from it, and only Okta's API says what happened.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from sqlalchemy import case, or_, update
from sqlmodel import Session, col, select

from webapp.db import utcnow
from webapp.extensions import db
from webapp.sources.base import DirectoryProfile, DirectorySource, RequestObserver
from webapp.sync import holds, store
from webapp.sync.models import SyncRun, SyncState
from webapp.sync.writer import apply_page
from webapp.teammates.models import ChangeKind, SourceRecord, TeammateChange
from webapp.teammates.signals import teammates_changed

# Ids one delivery may ask to check (Okta batches at most 50 events a delivery, each naming a user).
MAX_CHECKS_PER_DELIVERY = 100
# Ids all deliveries together may ask to check in a minute: 5 lookups of 40, a tenth of a
# 50-requests-a-minute bucket. Ids above it are dropped (the incremental sync still runs, and the
# next full sync finds any removal they would have found).
MAX_CHECKS_PER_MINUTE = 200
# Lookups one run makes at most for pending checks (the rest wait for the next run).
MAX_CHECK_BATCHES_PER_RUN = 5
# A full listing missing more users than this is not confirmed user by user (25 requests at most):
# they are marked removed unconfirmed and the hold decides (a broken listing looks like this).
MAX_CONFIRMED_ABSENCES = 1000

# Renews the run's sync lock in the given transaction, raising when the run must stop.
Guard = Callable[[Session], None]


# ----------------------------------------------------------------------------- asking


def take_budget(*, session: Session, source: str, wanted: int, now: datetime, per_minute: int) -> int:
    """Count `wanted` checks against this minute's budget of `source`; returns how many may go.

    One UPDATE adds them to the minute's count (starting a new minute at `wanted`), so concurrent
    deliveries in any process never lose a count; the row lock it takes on PostgreSQL (SQLite's
    write lock) orders them. 0 when `source` never synced (it has no teammates to check yet).
    """
    if wanted <= 0 or session.get(SyncState, source) is None:
        return 0
    minute = now.replace(second=0, microsecond=0)
    same_minute = col(SyncState.checks_window_started_at) == minute
    session.exec(
        update(SyncState)
        .where(col(SyncState.source) == source)
        .values(
            checks_in_window=case((same_minute, col(SyncState.checks_in_window) + wanted), else_=wanted),
            checks_window_started_at=minute,
        )
    )
    used = session.exec(select(SyncState.checks_in_window).where(col(SyncState.source) == source)).one()
    return max(0, min(wanted, per_minute - (int(used) - wanted)))


def request_checks(
    *,
    session: Session,
    source: str,
    external_ids: Sequence[str],
    now: datetime,
    per_minute: int = MAX_CHECKS_PER_MINUTE,
) -> int:
    """Ask for `external_ids` (already validated) to be looked up by the next sync, within the
    per-delivery and per-minute caps; returns how many were asked for. The caller commits."""
    wanted = list(dict.fromkeys(external_ids))[:MAX_CHECKS_PER_DELIVERY]
    granted = take_budget(session=session, source=source, wanted=len(wanted), now=now, per_minute=per_minute)
    return store.add_pending_checks(session=session, external_ids=wanted[:granted], at=now)


# ----------------------------------------------------------------------------- looking up


def drain(
    *,
    app: Flask,
    source: DirectorySource,
    run_id: int,
    guard: Guard,
    observer: RequestObserver,
    requests: Callable[[], int],
    max_batches: int = MAX_CHECK_BATCHES_PER_RUN,
) -> None:
    """Look up pending checks in batches, write each batch's results and clear its rows (one
    transaction per batch, none open across a lookup). `requests` says the run's request count."""
    lookup = _Lookup(app=app, source=source, run_id=run_id, guard=guard, observer=observer, requests=requests)
    for _ in range(max_batches):
        with db.session_scope(writer=False) as session:
            pending = store.pending_checks(session=session, limit=source.lookup_batch_size)
        if not pending:
            return
        asked = [external_id for external_id, _ in pending]
        lookup.write(asked, full=False, clear_until=max(at for _, at in pending))


def unseen_ids(*, session: Session, source: str, run_id: int, limit: int) -> list[str]:
    """Up to `limit` external ids of `source`'s present records that full run `run_id` did not see."""
    statement = (
        select(SourceRecord.external_id)
        .where(col(SourceRecord.source) == source, col(SourceRecord.removed_at).is_(None))
        .where(
            or_(col(SourceRecord.last_seen_run_id).is_(None), col(SourceRecord.last_seen_run_id) != run_id)
        )
        .order_by(col(SourceRecord.external_id))
        .limit(limit)
    )
    return list(session.exec(statement).all())


def confirm_absences(
    *,
    app: Flask,
    source: DirectorySource,
    run_id: int,
    guard: Guard,
    observer: RequestObserver,
    requests: Callable[[], int],
) -> None:
    """After the last page of full run `run_id`: look up the users it did not see (unless more
    than `MAX_CONFIRMED_ABSENCES`); those Okta no longer has are removed without a hold, those it
    still has are written and stamped as seen."""
    with db.session_scope(writer=False) as session:
        unseen = unseen_ids(
            session=session, source=source.key, run_id=run_id, limit=MAX_CONFIRMED_ABSENCES + 1
        )
    if not unseen or len(unseen) > MAX_CONFIRMED_ABSENCES:
        return
    lookup = _Lookup(app=app, source=source, run_id=run_id, guard=guard, observer=observer, requests=requests)
    for start in range(0, len(unseen), source.lookup_batch_size):
        lookup.write(unseen[start : start + source.lookup_batch_size], full=True, clear_until=None)


@dataclass(frozen=True)
class _Lookup:
    """One run's lookups by id: `write` looks a batch up (outside any transaction) and writes it."""

    app: Flask
    source: DirectorySource
    run_id: int
    guard: Guard
    observer: RequestObserver
    requests: Callable[[], int]

    def write(self, asked: Sequence[str], *, full: bool, clear_until: datetime | None) -> None:
        """Look `asked` up at the source, then `write_lookup` the results."""
        profiles = self.source.lookup_users(asked, observer=self.observer)
        write_lookup(
            app=self.app,
            source=self.source.key,
            run_id=self.run_id,
            asked=asked,
            profiles=profiles,
            guard=self.guard,
            requests=self.requests(),
            full=full,
            clear_until=clear_until,
        )


def write_lookup(
    *,
    app: Flask,
    source: str,
    run_id: int,
    asked: Sequence[str],
    profiles: Sequence[DirectoryProfile],
    guard: Guard,
    requests: int,
    full: bool,
    clear_until: datetime | None,
) -> None:
    """One lookup's results in one transaction: found users through the writer, absent ones
    removed and their teammates made inactive at once; with `clear_until`, the checks cleared.
    `teammates_changed` follows the commit."""
    wanted = set(asked)
    found = [profile for profile in profiles if profile.external_id in wanted]
    with db.session_scope(writer=True) as session:
        guard(session)
        now = utcnow()
        counts = apply_page(session=session, source=source, run_id=run_id, profiles=found, full=full, now=now)
        absent = sorted(wanted - {profile.external_id for profile in found})
        confirmed = _mark_removed(session, source=source, external_ids=absent, now=now)
        if not full:
            # A targeted check confirms each status by id: no hold (see the module docstring).
            confirmed |= _teammates_of(session, source=source, external_ids=asked)
        deactivated, removed = holds.apply_confirmed(
            session=session, teammate_ids=confirmed, run_id=run_id, now=now
        )
        if clear_until is not None:
            store.clear_checks(session=session, external_ids=list(asked), asked_until=clear_until)
        run = session.exec(
            select(SyncRun).where(col(SyncRun.id) == run_id).execution_options(populate_existing=True)
        ).one()
        run.users_processed += len(found)
        run.created += counts.created
        run.updated += counts.updated
        run.reactivated += counts.reactivated
        run.deactivated += deactivated
        run.removed += removed
        run.api_requests = requests
        run.heartbeat_at = now
        session.add(run)
        changed = set(counts.changed_teammate_ids)
        if deactivated or removed:
            changed |= _made_inactive(session, run_id=run_id, at=now)
    if changed:
        teammates_changed.send(app, teammate_ids=frozenset(changed), sync_run_id=run_id)


def _mark_removed(session: Session, *, source: str, external_ids: Sequence[str], now: datetime) -> set[int]:
    """Mark the present records of `external_ids` removed; returns their teammates' ids."""
    if not external_ids:
        return set()
    present = (
        col(SourceRecord.source) == source,
        col(SourceRecord.external_id).in_(list(external_ids)),
        col(SourceRecord.removed_at).is_(None),
    )
    teammate_ids = set(session.exec(select(SourceRecord.teammate_id).where(*present)).all())
    session.exec(update(SourceRecord).where(*present).values(removed_at=now))
    return {int(teammate_id) for teammate_id in teammate_ids if teammate_id is not None}


def _teammates_of(session: Session, *, source: str, external_ids: Sequence[str]) -> set[int]:
    """The teammates of `source`'s records of `external_ids`."""
    statement = select(SourceRecord.teammate_id).where(
        col(SourceRecord.source) == source, col(SourceRecord.external_id).in_(list(external_ids))
    )
    return {int(teammate_id) for teammate_id in session.exec(statement).all() if teammate_id is not None}


def _made_inactive(session: Session, *, run_id: int, at: datetime) -> set[int]:
    """The teammates `holds.apply_confirmed` just made inactive (by the history rows it wrote)."""
    statement = select(TeammateChange.teammate_id).where(
        col(TeammateChange.sync_run_id) == run_id,
        col(TeammateChange.changed_at) == at,
        col(TeammateChange.kind).in_([ChangeKind.DEACTIVATED, ChangeKind.REMOVED]),
    )
    return set(session.exec(statement).all())
