"""The sync engine: one run of one `DirectorySource`, streamed page by page into the database.

It knows sources only through `webapp.sources.base` (Okta today; Rippling and Payfit plug in the
same way). A run:

0. looks up, by id, the users event hooks asked to check (`checks.drain`);
1. (full runs) reads the source's attribute schema and stores it;
2. reads pages in a prefetch thread (`pipeline.Prefetcher`: page k+1 is in flight while page k is
   written) and writes each page in its own short transaction, with the run's progress, renewing
   the sync lock; no transaction is ever open across a network call;
3. in the transaction of the last page (full runs: after looking up by id the users the listing
   missed, `checks.confirm_absences`, in a transaction of its own): (full runs) marks the records
   the run did not see as removed, decides deactivations/removals (or holds them,
   `holds.decide`), moves the watermark to the largest `lastUpdated` the source returned, and
   finishes the run.

Because the watermark only moves with the last page, a run that fails or is killed half-way leaves
it where it was: the next run reads those users again (upserts are idempotent) and skips nothing.
An incremental run asks for users changed after `watermark - overlap - slack`: the overlap covers
the source's own lag and same-millisecond stamps; the slack is how long the run that set the
watermark took (users are listed in id order, not by time, so someone changed while it paged may
sit on a page it had already read).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select, update

from webapp.db import utcnow
from webapp.extensions import db
from webapp.sources.base import DirectoryPage, DirectorySource
from webapp.sync import checks, holds
from webapp.sync.errors import describe_error
from webapp.sync.errors import register_error_describer as register_error_describer  # re-exported
from webapp.sync.lock import SyncLock
from webapp.sync.models import SyncKind, SyncRun, SyncRunStatus, SyncState
from webapp.sync.pipeline import Prefetcher
from webapp.sync.writer import apply_page
from webapp.teammates import store as teammates
from webapp.teammates.models import ChangeKind, TeammateChange
from webapp.teammates.signals import schema_refreshed, teammates_changed

log = logging.getLogger(__name__)

DEFAULT_OVERLAP = timedelta(minutes=2)
# See RunObserver.let_the_reader_go_first: how long a page's write waits for the reader to start
# its next request, then lets it put the request on the wire (loopback or LAN: well under 2 ms).
HANDOFF_WAIT_SECONDS = 0.05
HANDOFF_SEND_SECONDS = 0.002
DEFAULT_RESERVE = 0.20

ProgressCallback = Callable[[SyncRun], None]


@dataclass(frozen=True)
class SyncOptions:
    """How a run behaves (from settings: SYNC_RATE_LIMIT_RESERVE, SYNC_HOLD_FRACTION, SYNC_HOLD_MINIMUM)."""

    reserve_fraction: float = DEFAULT_RESERVE
    hold_fraction: float = holds.DEFAULT_HOLD_FRACTION
    hold_minimum: int = holds.DEFAULT_HOLD_MINIMUM
    overlap: timedelta = DEFAULT_OVERLAP


class SyncStoppedError(RuntimeError):
    """The run stopped between pages (the process is shutting down, or lost the lock)."""


class RunObserver:
    """Counts the run's requests and records its waits on the run row (the Sync page shows
    "waiting for Okta's rate limit until ..."). Called from the thread reading the source."""

    def __init__(self, *, run_id: int, lock: SyncLock) -> None:
        self.run_id = run_id
        self.lock = lock
        self._mutex = threading.Lock()
        self._sending = threading.Event()
        self.requests = 0
        self.rate_limit_waits = 0
        self.rate_limit_wait_seconds = 0.0

    def request_sent(self) -> None:
        """One more request."""
        with self._mutex:
            self.requests += 1
        self._sending.set()

    def let_the_reader_go_first(self) -> None:
        """Before writing a page, wait (briefly) until the reader is sending its next request.

        Writing a page holds the GIL for ~20 ms of Python; a reader that needs it to open and send
        its request would wait several switch intervals, delaying every round trip. Once it is
        sending, it waits on the network (no GIL) while the page is written.
        """
        self._sending.wait(HANDOFF_WAIT_SECONDS)
        self._sending.clear()
        time.sleep(HANDOFF_SEND_SECONDS)

    def waiting(self, seconds: float, *, rate_limited: bool) -> None:
        """Record the wait (status WAITING, `waiting_until`) and renew the lock for its length."""
        with self._mutex:
            if rate_limited:
                self.rate_limit_waits += 1
                self.rate_limit_wait_seconds += seconds
            waits, waited, requests = self.rate_limit_waits, self.rate_limit_wait_seconds, self.requests
        if not rate_limited:
            return
        try:
            with db.session_scope(writer=True) as session:
                self.lock.renew(session=session)
                session.exec(
                    update(SyncRun)
                    .where(col(SyncRun.id) == self.run_id)
                    .values(
                        status=SyncRunStatus.WAITING,
                        waiting_until=utcnow() + timedelta(seconds=seconds),
                        rate_limit_waits=waits,
                        rate_limit_wait_seconds=round(waited, 3),
                        api_requests=requests,
                        heartbeat_at=utcnow(),
                    )
                )
        except SQLAlchemyError as error:  # the wait itself must go on; the next page records it
            log.warning("Could not record a rate-limit wait of sync run %s: %s", self.run_id, error)


@dataclass
class _Clock:
    started: float

    def elapsed(self) -> float:
        return time.monotonic() - self.started


def incremental_since(state: SyncState, *, overlap: timedelta) -> datetime | None:
    """Where an incremental run starts: the watermark minus the overlap and the slack."""
    if state.watermark is None:
        return None
    return state.watermark - overlap - timedelta(seconds=max(0.0, state.watermark_slack_seconds))


def execute_run(
    *,
    app: Flask,
    source: DirectorySource,
    run_id: int,
    lock: SyncLock,
    options: SyncOptions,
    progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SyncRun:
    """Run `run_id` (already created, lock held) to its end; returns the finished run.

    Raises whatever stopped it, after recording the failure on the run row.
    """
    clock = _Clock(time.monotonic())
    observer = RunObserver(run_id=run_id, lock=lock)
    try:
        with db.session_scope(writer=False) as session:
            run = _run(session, run_id)
            state = session.get(SyncState, source.key) or SyncState(source=source.key)
            full = run.kind == SyncKind.FULL
            since = None if full else incremental_since(state, overlap=options.overlap)
        guard = _guard(lock)
        # Users an event hook named are looked up first (deleted ones are invisible to a listing).
        checks.drain(
            app=app,
            source=source,
            run_id=run_id,
            guard=guard,
            observer=observer,
            requests=lambda: observer.requests,
        )
        if full:
            attributes = source.read_schema(observer=observer)
            with db.session_scope(writer=True) as session:
                teammates.save_source_attributes(session=session, source=source.key, attributes=attributes)
            schema_refreshed.send(app, source=source.key)  # after the commit (smart fields' defaults)
        finished: SyncRun | None = None
        with Prefetcher(
            lambda: source.iter_pages(updated_since=since, observer=observer), context=app.app_context
        ) as pages:
            for page in pages:
                if should_stop is not None and should_stop():
                    raise SyncStoppedError("Stopped between pages: the server is shutting down.")
                if not page.is_last and not pages.has_next_ready():
                    observer.let_the_reader_go_first()
                finished = _write_page(
                    app=app,
                    source=source.key,
                    run_id=run_id,
                    page=page,
                    full=full,
                    lock=lock,
                    observer=observer,
                    options=options,
                    clock=clock,
                )
                if full and page.is_last:
                    # Users the listing did not return are looked up by id before any is removed.
                    checks.confirm_absences(
                        app=app,
                        source=source,
                        run_id=run_id,
                        guard=guard,
                        observer=observer,
                        requests=lambda: observer.requests,
                    )
                    finished = _finish_full(
                        app=app, source=source.key, run_id=run_id, guard=guard, options=options, clock=clock
                    )
                if full and _is_power_of_four(finished.pages):
                    with db.session_scope(writer=True) as session:
                        teammates.refresh_planner_statistics(session=session)
                if progress is not None:
                    progress(finished)
                if page.is_last:
                    break
        if finished is None or finished.finished_at is None:
            raise RuntimeError("The source's listing ended without its last page.")
        return finished
    except BaseException as error:
        _record_failure(run_id, error=error, observer=observer, clock=clock)
        raise


def _is_power_of_four(pages: int) -> bool:
    """1, 4, 16, 64, 256...: when a full run refreshes the planner's statistics (a handful of times
    however large the directory)."""
    return pages > 0 and pages & (pages - 1) == 0 and (pages.bit_length() - 1) % 2 == 0


def _run(session: Session, run_id: int) -> SyncRun:
    run = session.exec(
        select(SyncRun).where(col(SyncRun.id) == run_id).execution_options(populate_existing=True)
    ).one()
    return run


def _guard(lock: SyncLock) -> checks.Guard:
    """Renews the sync lock in a transaction; raises `SyncStoppedError` when it was lost."""

    def renew(session: Session) -> None:
        if not lock.renew(session=session):
            raise SyncStoppedError("Another process took over this sync (its lock had expired).")

    return renew


def _finish_full(
    *, app: Flask, source: str, run_id: int, guard: checks.Guard, options: SyncOptions, clock: _Clock
) -> SyncRun:
    """The end of a full run, after its absences were confirmed (see `_finish`), in one transaction."""
    with db.session_scope(writer=True) as session:
        guard(session)
        run = _run(session, run_id)
        inactive = _finish(
            session, run=run, source=source, full=True, options=options, clock=clock, now=utcnow()
        )
        session.add(run)
    if inactive:
        teammates_changed.send(app, teammate_ids=frozenset(inactive), sync_run_id=run_id)
    return run


def _write_page(
    *,
    app: Flask,
    source: str,
    run_id: int,
    page: DirectoryPage,
    full: bool,
    lock: SyncLock,
    observer: RunObserver,
    options: SyncOptions,
    clock: _Clock,
) -> SyncRun:
    """One page in one transaction; the last page also finishes an incremental run (a full run
    finishes in `_finish_full`, once the users its listing missed were looked up).

    After the commit, `teammates_changed` names the teammates the page created, changed or
    reactivated (and, on the last page, those the run deactivated or removed).
    """
    with db.session_scope(writer=True) as session:
        if not lock.renew(session=session):
            raise SyncStoppedError("Another process took over this sync (its lock had expired).")
        now = utcnow()
        counts = apply_page(
            session=session, source=source, run_id=run_id, profiles=page.profiles, full=full, now=now
        )
        run = _run(session, run_id)
        run.pages += 1
        run.users_processed += len(page.profiles)
        run.created += counts.created
        run.updated += counts.updated
        run.reactivated += counts.reactivated
        run.api_requests = observer.requests
        run.rate_limit_waits = observer.rate_limit_waits
        run.rate_limit_wait_seconds = round(observer.rate_limit_wait_seconds, 3)
        run.status = SyncRunStatus.RUNNING
        run.waiting_until = None
        run.heartbeat_at = now
        if page.max_updated_at is not None and (
            run.max_source_updated_at is None or page.max_updated_at > run.max_source_updated_at
        ):
            run.max_source_updated_at = page.max_updated_at
        changed = set(counts.changed_teammate_ids)
        if page.is_last and not full:
            changed |= _finish(
                session, run=run, source=source, full=full, options=options, clock=clock, now=now
            )
        session.add(run)
    if changed:
        teammates_changed.send(app, teammate_ids=frozenset(changed), sync_run_id=run_id)
    return run


def _finish(
    session: Session,
    *,
    run: SyncRun,
    source: str,
    full: bool,
    options: SyncOptions,
    clock: _Clock,
    now: datetime,
) -> set[int]:
    """Removals (full runs), deactivations or a hold, the watermark, and the run's outcome; returns
    the teammates made inactive."""
    assert run.id is not None
    if full:
        teammates.mark_unseen_records_removed(session=session, source=source, run_id=run.id, now=now)
    decision = holds.decide(
        session=session,
        source=source,
        run_id=run.id,
        now=now,
        fraction=options.hold_fraction,
        minimum=options.hold_minimum,
    )
    state = session.get(SyncState, source)
    assert state is not None  # the lock lives on it
    duration = clock.elapsed()
    newest = run.max_source_updated_at
    if newest is not None and (state.watermark is None or newest > state.watermark):
        state.watermark = newest
        state.watermark_slack_seconds = round(duration, 3)
    if full:
        state.last_full_sync_at = now
        state.last_full_sync_run_id = run.id
    state.last_sync_at = now
    state.updated_at = now
    session.add(state)
    # Added to what targeted checks (webapp/sync/checks.py) already applied during the run.
    run.deactivated += decision.deactivated
    run.removed += decision.removed
    run.held = decision.held
    run.status = SyncRunStatus.HELD if decision.hold_id is not None else SyncRunStatus.SUCCEEDED
    run.finished_at = now
    run.duration_seconds = round(duration, 3)
    if not decision.deactivated and not decision.removed:
        return set()
    # The history rows `holds.decide` just wrote name them (one query, however many).
    inactive = session.exec(
        select(TeammateChange.teammate_id).where(
            col(TeammateChange.sync_run_id) == run.id,
            col(TeammateChange.kind).in_([ChangeKind.DEACTIVATED, ChangeKind.REMOVED]),
        )
    ).all()
    return set(inactive)


def _record_failure(run_id: int, *, error: BaseException, observer: RunObserver, clock: _Clock) -> None:
    message = describe_error(error)
    try:
        with db.session_scope(writer=True) as session:
            run = session.get(SyncRun, run_id)
            if run is None or run.finished_at is not None:
                return
            run.status = SyncRunStatus.FAILED
            run.error = message[:2000]
            run.finished_at = utcnow()
            run.duration_seconds = round(clock.elapsed(), 3)
            run.waiting_until = None
            run.api_requests = observer.requests
            run.rate_limit_waits = observer.rate_limit_waits
            run.rate_limit_wait_seconds = round(observer.rate_limit_wait_seconds, 3)
            session.add(run)
    except SQLAlchemyError:
        log.exception("Could not record the failure of sync run %s.", run_id)
