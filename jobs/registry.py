"""Which background jobs exist, what they run and when: the registry the scheduler reads.

A job is a plain function in `jobs/`, named by `module:function` and imported only when it runs, so a
module not written yet is logged and skipped rather than breaking start-up. It is called as
`function(app)` inside an app context and owns its transactions (STYLE §5, §12).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

log = logging.getLogger(__name__)

# Interval jobs fire at ANCHOR + k * interval, in every process alike: a change of leader does not
# shift them, and anyone can tell the next run time.
INTERVAL_ANCHOR = datetime(2000, 1, 1, tzinfo=UTC)
MIN_SYNC_INTERVAL_MINUTES = 1
MAX_SYNC_INTERVAL_MINUTES = 60

INCREMENTAL_SYNC = "okta-incremental-sync"
FULL_SYNC = "okta-full-sync"
PRUNE_LOGIN_ATTEMPTS = "prune-login-attempts"
OKTA_SYNC_GROUP = "okta-sync"
SYNC_INTERVAL_SOURCE = "jobs.sync:sync_interval_minutes"
FULL_SYNC_INTERVAL_SOURCE = "jobs.sync:full_sync_interval_hours"
# Full syncs run at 03:00 UTC plus whole multiples of their interval (nightly: at 03:00).
FULL_SYNC_ANCHOR = INTERVAL_ANCHOR + timedelta(hours=3)
DEFAULT_FULL_SYNC_HOURS = 1

JobFunction = Callable[[Flask], object]


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: what runs, when, and which jobs it must never overlap.

    `target` is `module:function`, called as `function(app)`. Give either `every` (re-read by the
    leader at each lease renewal, so it may change at runtime; it must not raise) or `cron`
    (APScheduler `CronTrigger` fields, in the server's local time). Jobs sharing a `group` never
    run at once in the leader: a run finding its group busy is skipped, or with `waits_for_group`
    waits for it (up to `jobs.scheduler.GROUP_WAIT_SECONDS`).
    """

    id: str
    target: str
    every: Callable[[Flask], timedelta] | None = None
    cron: Mapping[str, int | str] | None = None
    group: str | None = None
    waits_for_group: bool = False
    # Interval jobs fire at `anchor + k * interval`.
    anchor: datetime = INTERVAL_ANCHOR

    def __post_init__(self) -> None:
        if (self.every is None) == (self.cron is None):
            raise ValueError(f"job {self.id}: give exactly one of `every` and `cron`")

    def trigger(self, app: Flask) -> Any:
        """A fresh APScheduler trigger for this job (reads the interval for interval jobs)."""
        if self.every is not None:
            return interval_trigger(self.every(app), anchor=self.anchor)
        assert self.cron is not None
        return CronTrigger(**self.cron)

    def next_run(self, app: Flask, after: datetime) -> datetime | None:
        """When the job runs next after `after` (the leader's plan: every process plans alike)."""
        fire_time: datetime | None = self.trigger(app).get_next_fire_time(None, after)
        return fire_time

    def describe(self, app: Flask) -> str:
        """`every 5 min` or `cron hour=3 minute=0`, for people."""
        if self.every is not None:
            seconds = self.every(app).total_seconds()
            if seconds >= 3600:
                return f"every {seconds / 3600:g} h from {self.anchor:%H:%M} UTC"
            return f"every {seconds / 60:g} min" if seconds >= 60 else f"every {seconds:g} s"
        assert self.cron is not None
        return "cron " + " ".join(f"{field}={value}" for field, value in self.cron.items())


def interval_trigger(interval: timedelta, *, anchor: datetime = INTERVAL_ANCHOR) -> IntervalTrigger:
    """An interval trigger on the shared grid (the same run times in every process)."""
    return IntervalTrigger(seconds=interval.total_seconds(), start_date=anchor, timezone=UTC)


def setting(app: Flask, name: str, default: Any = None) -> Any:
    """A scheduler setting: `app.config` (test overrides) first, then the settings object."""
    if name in app.config:
        return app.config[name]
    return getattr(app.extensions.get("signet_settings"), name, default)


def sync_interval(app: Flask) -> timedelta:
    """Time between incremental syncs: the admin's choice if the sync code stores one
    (`jobs.sync.sync_interval_minutes(app) -> int | None`), else SYNC_INTERVAL_MINUTES; 1 to 60 min."""
    minutes = setting(app, "SYNC_INTERVAL_MINUTES", MIN_SYNC_INTERVAL_MINUTES)
    try:
        chosen = resolve_target(SYNC_INTERVAL_SOURCE)
        stored = chosen(app) if chosen is not None else None
    except Exception:
        log.exception("Could not read the sync interval; using %s min.", minutes)
        stored = None
    if isinstance(stored, int) and stored > 0:
        minutes = stored
    return timedelta(minutes=min(max(int(minutes), MIN_SYNC_INTERVAL_MINUTES), MAX_SYNC_INTERVAL_MINUTES))


def full_sync_interval(app: Flask) -> timedelta:
    """Time between full syncs: the admin's choice or the default for the org's size
    (`jobs.sync.full_sync_interval_hours(app) -> int`), hourly if it cannot be read."""
    try:
        read = resolve_target(FULL_SYNC_INTERVAL_SOURCE)
        hours = read(app) if read is not None else None
    except Exception:
        log.exception("Could not read the full sync interval; using %s h.", DEFAULT_FULL_SYNC_HOURS)
        hours = None
    return timedelta(hours=hours if isinstance(hours, int) and 0 < hours <= 24 else DEFAULT_FULL_SYNC_HOURS)


def _every_hour(_app: Flask) -> timedelta:
    return timedelta(hours=1)


JOBS: tuple[JobSpec, ...] = (
    JobSpec(INCREMENTAL_SYNC, "jobs.sync:run_incremental_sync", every=sync_interval, group=OKTA_SYNC_GROUP),
    # Hourly up to 10,000 users, nightly above, or as the admin chose (the Sync page); when an
    # incremental sync is still running, the full sync waits for it.
    JobSpec(
        FULL_SYNC,
        "jobs.sync:run_full_sync",
        every=full_sync_interval,
        group=OKTA_SYNC_GROUP,
        waits_for_group=True,
        anchor=FULL_SYNC_ANCHOR,
    ),
    JobSpec(PRUNE_LOGIN_ATTEMPTS, "jobs.housekeeping:prune_login_attempts", every=_every_hour),
)


def job_specs(app: Flask) -> Sequence[JobSpec]:
    """The jobs this app schedules: `JOBS`, unless SCHEDULER_JOBS overrides them (tests)."""
    specs: Sequence[JobSpec] = app.config.get("SCHEDULER_JOBS", JOBS)
    return specs


def resolve_target(target: str) -> JobFunction | None:
    """The function named `module:function`, or None if that module or function does not exist.

    Only the named module being absent counts as "not there yet"; an import error inside it is a bug
    and is raised.
    """
    module_name, _, function_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        missing = error.name or ""
        if missing and (module_name == missing or module_name.startswith(missing + ".")):
            return None
        raise
    function: JobFunction | None = getattr(module, function_name, None)
    return function
