"""Background jobs on a schedule, run exactly once per deployment.

Every serving process (each gunicorn worker, on each host sharing the database) runs an APScheduler
3 `BackgroundScheduler` with the same jobs (`jobs.registry.JOBS`), but a job only runs in the process
holding the `scheduler` lease row (webapp.scheduling): each run first renews the lease and returns at
once when this process is not the leader. A lease keeper renews it every `SCHEDULER_RENEW_SECONDS`
(on its own one-thread executor, so a long sync never delays it) and, in the other processes, takes
it over within `SCHEDULER_LEASE_SECONDS` once the leader dies; a clean shutdown releases it. The job
store is in memory (PITFALLS 1.11): jobs are defined in code, with fixed ids.

Started by `start_in_server()` from `wsgi.py`, never by `create_app()`: tests, CLI commands and
migrations create apps too (STYLE "What to avoid"). PITFALLS §1 lists the traps avoided here.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import threading
import weakref
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from jobs.registry import JOBS, JobFunction, JobSpec, interval_trigger, job_specs, resolve_target, setting
from webapp.extensions import db
from webapp.scheduling.lease import SCHEDULER_LEASE, LeaderLease

log = logging.getLogger(__name__)

EXTENSION_KEY = "signet_jobs"
LEASE_KEEPER_ID = "scheduler-lease"
DEFAULT_LEASE_SECONDS = 30.0
DEFAULT_RENEW_SECONDS = 10.0
# APScheduler 3's default grace is 1 s: a busy or sleeping process would skip runs (PITFALLS 1.7).
MISFIRE_GRACE_SECONDS = 300
# A job that must not be skipped waits this long for another job of its group to finish.
GROUP_WAIT_SECONDS = 600
JOB_THREADS = 4


def _log_job_event(event: Any) -> None:
    if event.code == EVENT_JOB_MISSED:
        log.warning(
            "Job %s did not run at %s: the process was busy or asleep for more than %s s.",
            event.job_id,
            event.scheduled_run_time,
            MISFIRE_GRACE_SECONDS,
        )
    elif event.code == EVENT_JOB_MAX_INSTANCES:
        log.warning("Job %s skipped a run: its previous run is still going.", event.job_id)
    else:
        log.error("Job %s failed: %s: %s", event.job_id, type(event.exception).__name__, event.exception)


class JobRunner:
    """This process's scheduler for one app: starts, stops, and runs jobs only while leader."""

    def __init__(
        self,
        app: Flask,
        *,
        jobs: Sequence[JobSpec] = JOBS,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        renew_seconds: float = DEFAULT_RENEW_SECONDS,
    ) -> None:
        if not 0 < renew_seconds < lease_seconds:
            raise ValueError("renew_seconds must be shorter than lease_seconds (renew well before expiry)")
        self.app = app
        self.jobs = {spec.id: spec for spec in jobs}
        self.lease_ttl = timedelta(seconds=lease_seconds)
        self.renew_seconds = renew_seconds
        self.lease: LeaderLease | None = None
        self._scheduler: Any = None
        self._pid: int | None = None
        self._stopped = False
        self._handed_over = False
        self._reset_thread_state()
        self._exit_hooks_registered = False
        app.extensions[EXTENSION_KEY] = self
        _RUNNERS.add(self)

    @classmethod
    def for_app(cls, app: Flask) -> JobRunner:
        """A runner set up from SCHEDULER_JOBS, SCHEDULER_LEASE_SECONDS and SCHEDULER_RENEW_SECONDS."""
        return cls(
            app,
            jobs=job_specs(app),
            lease_seconds=float(app.config.get("SCHEDULER_LEASE_SECONDS", DEFAULT_LEASE_SECONDS)),
            renew_seconds=float(app.config.get("SCHEDULER_RENEW_SECONDS", DEFAULT_RENEW_SECONDS)),
        )

    def _reset_thread_state(self) -> None:
        # Locks held by another thread at a fork would stay locked in the child: make new ones.
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._groups = {spec.group: threading.Lock() for spec in self.jobs.values() if spec.group}
        self._intervals: dict[str, timedelta] = {}
        self._unavailable: set[str] = set()

    @property
    def running(self) -> bool:
        """Whether this process's scheduler thread is running."""
        return self._scheduler is not None and self._pid == os.getpid() and bool(self._scheduler.running)

    def is_leader(self) -> bool:
        """Whether this process holds the lease now (its local view, no query)."""
        return self.running and self.lease is not None and self.lease.held()

    def should_stop(self) -> bool:
        """Whether a running job should wind down: shutting down, or no longer the leader."""
        return self._stopping.is_set() or self.lease is None or not self.lease.held()

    def start(self) -> None:
        """Start the scheduler thread in this process (once; a stopped runner stays stopped)."""
        with self._lock:
            if self._stopped or self.running:
                return
            self._stopping.clear()
            self.lease = LeaderLease(name=SCHEDULER_LEASE, ttl=self.lease_ttl)
            _quiet_apscheduler_logs()
            scheduler = BackgroundScheduler(
                jobstores={"default": MemoryJobStore()},
                executors={"default": ThreadPoolExecutor(JOB_THREADS), "lease": ThreadPoolExecutor(1)},
                job_defaults={
                    "coalesce": True,
                    "max_instances": 1,
                    "misfire_grace_time": MISFIRE_GRACE_SECONDS,
                },
                daemon=True,
            )
            scheduler.add_listener(
                _log_job_event, EVENT_JOB_MISSED | EVENT_JOB_ERROR | EVENT_JOB_MAX_INSTANCES
            )
            scheduler.add_job(
                self._keep_lease,
                IntervalTrigger(seconds=self.renew_seconds),
                id=LEASE_KEEPER_ID,
                executor="lease",
                next_run_time=datetime.now(UTC),  # claim at once, not a renewal period later
                misfire_grace_time=max(1, int(self.renew_seconds)),
                replace_existing=True,
            )
            with self.app.app_context():
                for spec in self.jobs.values():
                    if spec.every is not None:
                        self._intervals[spec.id] = spec.every(self.app)
                    scheduler.add_job(
                        self._run_job,
                        spec.trigger(self.app),
                        args=[spec.id],
                        id=spec.id,
                        replace_existing=True,
                    )
            scheduler.start()
            self._scheduler = scheduler
            self._pid = os.getpid()
            self._register_exit_hooks()
        log.info("Background jobs scheduled in process %s (lease holder: %s).", os.getpid(), self.lease.owner)

    def ensure_started(self) -> None:
        """Start in this process unless already started or stopped (before_request: `flask run`,
        children forked from a process that had started it)."""
        if self._pid == os.getpid() and (self._scheduler is not None or self._stopped):
            return
        try:
            self.start()
        except Exception:
            self._stopped = True
            log.exception("Could not start the background jobs in process %s.", os.getpid())

    def stop(self, *, release: bool = True, wait: bool = False) -> None:
        """Stop scheduling now and, if `release`, free the lease. A running job finishes on its own
        (`should_stop()` tells it to hurry); `wait=True` waits for it."""
        with self._lock:
            self._stopped = True
            self._stopping.set()
            scheduler, self._scheduler = self._scheduler, None
            mine = self._pid == os.getpid()
        if scheduler is not None and mine and scheduler.running:
            scheduler.shutdown(wait=wait)
        if release and mine:
            self.release_lease()

    def release_lease(self) -> None:
        """Free the lease if this process holds it."""
        if self.lease is not None and self._pid == os.getpid():
            with self.app.app_context():
                self.lease.release()

    def reschedule(self) -> None:
        """Re-read interval jobs' intervals now (the leader also does it at every lease renewal)."""
        if self.running:
            with self.app.app_context():
                self._refresh_intervals()

    def next_run_times(self) -> dict[str, datetime | None]:
        """This process's next planned run of each job (the leader runs them; others skip)."""
        scheduler = self._scheduler
        if scheduler is None:
            return {}
        return {job_id: _job_next_run(scheduler, job_id) for job_id in self.jobs}

    def _keep_lease(self) -> None:
        if self._stopping.is_set() or self.lease is None:
            return
        with self.app.app_context():
            if self.lease.hold():
                self._refresh_intervals()

    def _refresh_intervals(self) -> None:
        with self._lock:  # the lease keeper and a request (reschedule) may both get here
            scheduler = self._scheduler
            for spec in self.jobs.values():
                if spec.every is None or scheduler is None:
                    continue
                interval = spec.every(self.app)
                if interval != self._intervals.get(spec.id):
                    scheduler.reschedule_job(spec.id, trigger=interval_trigger(interval, anchor=spec.anchor))
                    log.info("Job %s now runs every %s.", spec.id, interval)
                    self._intervals[spec.id] = interval

    def _run_job(self, job_id: str) -> None:
        spec = self.jobs[job_id]
        if self._stopping.is_set() or self.lease is None:
            return
        with self.app.app_context():
            if not self.lease.hold():
                return  # another process leads (or the database is unreachable): it is not ours to run
            function = self._function(spec)
            if function is None:
                return
            group = self._groups.get(spec.group) if spec.group else None
            if group is not None and not self._enter_group(spec, group):
                return
            try:
                log.debug("Running job %s.", spec.id)
                function(self.app)
            finally:
                if group is not None:
                    group.release()

    def _enter_group(self, spec: JobSpec, group: threading.Lock) -> bool:
        if group.acquire(timeout=GROUP_WAIT_SECONDS if spec.waits_for_group else 0):
            if not spec.waits_for_group or (self.lease is not None and self.lease.hold()):
                return True
            group.release()  # leadership moved while we waited
            return False
        log.info("Job %s skipped: another %s job is still running.", spec.id, spec.group)
        return False

    def _function(self, spec: JobSpec) -> JobFunction | None:
        function = resolve_target(spec.target)
        if function is None and spec.id not in self._unavailable:
            self._unavailable.add(spec.id)
            log.warning("Job %s skipped: %s does not exist (yet).", spec.id, spec.target)
        elif function is not None:
            self._unavailable.discard(spec.id)
        return function

    def _register_exit_hooks(self) -> None:
        if self._exit_hooks_registered:
            return
        self._exit_hooks_registered = True
        # The interpreter joins running job threads (concurrent.futures) before atexit handlers run:
        # stop scheduling and tell jobs to wind down before that join, release the lease after it,
        # so no other process starts a job while ours still finishes. (PITFALLS 1.9, 1.10)
        register_early = getattr(threading, "_register_atexit", None)
        if register_early is not None:
            with contextlib.suppress(RuntimeError):  # already shutting down
                register_early(self._interpreter_exiting)
        atexit.register(self.stop)

    def _interpreter_exiting(self) -> None:
        self.stop(release=False)

    def _hand_over_before_fork(self) -> None:
        # A process that forks (gunicorn --preload's master) supervises; its children run the jobs.
        if not self.running:
            return
        log.info("Process %s forks: its children run the background jobs instead.", os.getpid())
        self.stop(release=True)
        self._handed_over = True
        with self.app.app_context():
            db.dispose()  # no pooled connection may be shared with the children

    def _forget_after_fork(self) -> None:
        # The child has none of the parent's threads: start afresh on its first request.
        if not self._handed_over:
            return
        self._scheduler = None
        self._stopped = False
        self.lease = None
        self._reset_thread_state()


def _job_next_run(scheduler: Any, job_id: str) -> datetime | None:
    job = scheduler.get_job(job_id)
    next_run: datetime | None = job.next_run_time if job is not None else None
    return next_run


def _quiet_apscheduler_logs() -> None:
    # APScheduler logs every run at INFO (the lease keeper runs every few seconds in every process);
    # missed and failed runs are logged by _log_job_event, tracebacks still by APScheduler at ERROR.
    logger = logging.getLogger("apscheduler")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.ERROR)


_RUNNERS: weakref.WeakSet[JobRunner] = weakref.WeakSet()


def _before_fork() -> None:
    for runner in list(_RUNNERS):
        runner._hand_over_before_fork()


def _after_fork_in_child() -> None:
    for runner in list(_RUNNERS):
        runner._forget_after_fork()


os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)


def start_in_server(app: Flask) -> JobRunner | None:
    """Run the background jobs in this serving process, unless SCHEDULER_ENABLED is off (`wsgi.py`).

    Under `flask ...` commands it only arms a start on the first request: `flask run` serves (its
    reloader's parent never does), `flask migrate` and friends never start it.
    """
    if not setting(app, "SCHEDULER_ENABLED", True):
        log.info("Background jobs are off in this process (SCHEDULER_ENABLED is false).")
        return None
    runner = JobRunner.for_app(app)
    app.before_request(runner.ensure_started)
    if os.environ.get("FLASK_RUN_FROM_CLI") != "true":
        runner.start()
    return runner


def runner_for(app: Flask) -> JobRunner | None:
    """The app's job runner in this process, if it has one."""
    runner: JobRunner | None = app.extensions.get(EXTENSION_KEY)
    return runner


def should_stop(app: Flask) -> bool:
    """For long jobs, between steps: True when this process is shutting down or lost the lease.

    Always False when the job was called outside the scheduler (a CLI command, a test).
    """
    runner = runner_for(app)
    if runner is None or runner._pid != os.getpid():
        return False
    return runner.should_stop()


def reschedule(app: Flask) -> None:
    """Apply a changed sync interval in this process now (other processes follow within a renewal)."""
    runner = runner_for(app)
    if runner is not None:
        runner.reschedule()
