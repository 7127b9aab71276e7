"""Reads for the Sync page and the dashboard: the run history page by page, the schedule, holds.

Typed, keyword-only functions taking a `Session`; they never commit. The engine's own data access
is `webapp.sync.store`; this module only adds what the pages need on top of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from sqlalchemy import func
from sqlmodel import Session, col, select

from jobs.registry import FULL_SYNC, INCREMENTAL_SYNC, job_specs, sync_interval
from webapp.pagination import clamp_page, page_count
from webapp.scheduling import store as scheduling
from webapp.scheduling.lease import SCHEDULER_LEASE
from webapp.sources.okta import store as okta_store
from webapp.sync import store
from webapp.sync.full_interval import FullSyncCost, effective_hours
from webapp.sync.models import SyncHold, SyncHoldItem, SyncRun, SyncRunStatus
from webapp.teammates import store as teammates
from webapp.teammates.models import Teammate

RUNS_PAGE_SIZE = 20
# A hold lists this many of its teammates on the page (the counts say how many there are in all).
HOLD_ITEMS_SHOWN = 100


@dataclass(frozen=True)
class RunPage:
    """One page of the run history, newest first."""

    runs: list[SyncRun]
    total: int
    page: int
    page_size: int = RUNS_PAGE_SIZE

    @property
    def pages(self) -> int:
        """How many pages the history fills (at least one)."""
        return page_count(self.total, self.page_size)


def run_page(*, session: Session, source: str, page: int = 1) -> RunPage:
    """The runs of `source`, newest first, `RUNS_PAGE_SIZE` a page (past the end: the last page)."""
    total = int(session.exec(select(func.count(col(SyncRun.id))).where(SyncRun.source == source)).one())
    page = clamp_page(page, total, RUNS_PAGE_SIZE)
    statement = (
        select(SyncRun)
        .where(SyncRun.source == source)
        .order_by(col(SyncRun.started_at).desc(), col(SyncRun.id).desc())
        .offset((page - 1) * RUNS_PAGE_SIZE)
        .limit(RUNS_PAGE_SIZE)
    )
    return RunPage(runs=list(session.exec(statement).all()), total=total, page=page)


def newest_run_id(*, session: Session, source: str) -> int:
    """The id of the newest run of `source` (0 if none): a sync started after this has a larger one."""
    newest = session.exec(select(func.max(col(SyncRun.id))).where(SyncRun.source == source)).one()
    return int(newest or 0)


def run_after(*, session: Session, source: str, after_id: int) -> SyncRun | None:
    """The first run of `source` started after run `after_id` (the one "Sync now" started)."""
    statement = select(SyncRun).where(SyncRun.source == source, col(SyncRun.id) > after_id)
    return session.exec(statement.order_by(col(SyncRun.id))).first()


@dataclass(frozen=True)
class Schedule:
    """When syncs run by themselves."""

    interval_minutes: int
    chosen_minutes: int | None  # None: the SYNC_INTERVAL_MINUTES setting
    scheduler_running: bool  # a server process holds the scheduler lease
    next_incremental: datetime | None
    next_full: datetime | None


def schedule(*, session: Session, app: Flask, source: str) -> Schedule:
    """The interval and the next scheduled runs, as the leader plans them (`flask jobs status`
    reads the same): nothing is scheduled while no server process holds the scheduler lease."""
    now = scheduling.database_now(session=session)
    lease = scheduling.get_lease(session=session, name=SCHEDULER_LEASE)
    running = lease is not None and lease.expires_at > now
    specs = {spec.id: spec for spec in job_specs(app)}

    def next_run(job_id: str) -> datetime | None:
        spec = specs.get(job_id)
        return spec.next_run(app, now) if running and spec is not None else None

    return Schedule(
        interval_minutes=int(sync_interval(app).total_seconds() // 60),
        chosen_minutes=store.get_state(session=session, source=source).poll_interval_minutes,
        scheduler_running=running,
        next_incremental=next_run(INCREMENTAL_SYNC),
        next_full=next_run(FULL_SYNC),
    )


@dataclass(frozen=True)
class FullSyncPlan:
    """The full sync's interval (chosen, or the default for the org's size) and its cost."""

    hours: int
    chosen: int | None
    cost: FullSyncCost


def full_sync_plan(*, session: Session, source: str) -> FullSyncPlan:
    """How often full syncs run and what they cost, by the last full sync's user count."""
    chosen = store.get_state(session=session, source=source).full_sync_interval_hours
    connection = okta_store.get_connection(session=session)
    users = connection.user_count if connection is not None else None
    hours = effective_hours(chosen, users)
    return FullSyncPlan(hours=hours, chosen=chosen, cost=FullSyncCost(users=users, hours=hours))


@dataclass(frozen=True)
class HoldView:
    """A pending hold with the first of its teammates."""

    hold: SyncHold
    run: SyncRun | None
    items: list[tuple[SyncHoldItem, Teammate]]
    item_count: int

    @property
    def more(self) -> int:
        """Teammates held but not listed."""
        return max(0, self.item_count - len(self.items))


def pending_hold_views(*, session: Session, source: str) -> list[HoldView]:
    """Every pending hold of `source`, oldest first, each with up to `HOLD_ITEMS_SHOWN` teammates."""
    views = []
    for hold in store.pending_holds(session=session, source=source):
        assert hold.id is not None
        views.append(
            HoldView(
                hold=hold,
                run=store.get_run(session=session, run_id=hold.sync_run_id) if hold.sync_run_id else None,
                items=store.hold_items(session=session, hold_id=hold.id, limit=HOLD_ITEMS_SHOWN),
                item_count=store.count_hold_items(session=session, hold_id=hold.id),
            )
        )
    return views


@dataclass(frozen=True)
class SyncSummary:
    """What the dashboard says about syncing."""

    current: SyncRun | None
    last: SyncRun | None
    pending_holds: int
    teammates: int
    active_teammates: int

    @property
    def failing(self) -> bool:
        """The last finished run failed."""
        return self.last is not None and self.last.status == SyncRunStatus.FAILED


def sync_summary(*, session: Session, source: str) -> SyncSummary:
    """The latest runs, pending holds and teammate counts of `source`, in a few small queries."""
    return SyncSummary(
        current=store.current_run(session=session, source=source),
        last=store.last_finished_run(session=session, source=source),
        pending_holds=len(store.pending_holds(session=session, source=source)),
        teammates=teammates.count_teammates(session=session),
        active_teammates=teammates.count_active_teammates(session=session),
    )
