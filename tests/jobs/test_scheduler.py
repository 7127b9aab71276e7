"""The job scheduler in one process: several schedulers sharing a database run each job in the lease
holder only, hand over when it dies or stops, and log what goes wrong (SQLite and PostgreSQL).

Schedulers here use lease times of a second or less; waits poll for an outcome with a generous
deadline and never assert how long something took."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from apscheduler.events import (
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
    JobSubmissionEvent,
)
from flask import Flask

from jobs import scheduler as job_scheduler
from jobs.registry import INTERVAL_ANCHOR, JobSpec, resolve_target, sync_interval
from jobs.scheduler import JobRunner, reschedule, should_stop, start_in_server
from tests.conftest import make_test_app
from tests.jobs import sample_jobs
from webapp.db import utcnow
from webapp.extensions import db
from webapp.scheduling import store
from webapp.scheduling.lease import SCHEDULER_LEASE
from webapp.scheduling.models import SchedulerLease

DEADLINE = 15.0


def wait_until(predicate: Callable[[], object], deadline: float = DEADLINE) -> bool:
    """Poll `predicate` until it is true or `deadline` seconds have passed."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return bool(predicate())


def every(seconds: float) -> Callable[[Flask], timedelta]:
    """An `every` for JobSpec: a fixed interval."""
    return lambda _app: timedelta(seconds=seconds)


def recorder(job_id: str = "record", seconds: float = 0.1, **kwargs: Any) -> JobSpec:
    """A job writing the runner's lease holder name into JOB_RUNS."""
    return JobSpec(job_id, "tests.jobs.sample_jobs:record_run", every=every(seconds), **kwargs)


class Cluster:
    """Apps sharing one database, each with its runner, as the processes of one deployment."""

    def __init__(self, database_url: str, tmp_path: Path) -> None:
        self.database_url = database_url
        self.tmp_path = tmp_path
        self.apps: list[Flask] = []
        self.runners: list[JobRunner] = []

    def app(self, **config: Any) -> Flask:
        """A new app on the shared database."""
        app = make_test_app(self.database_url, self.tmp_path / f"instance-{len(self.apps)}", **config)
        self.apps.append(app)
        return app

    def runner(
        self, *jobs: JobSpec, lease: float = 1.0, renew: float = 0.1, **config: Any
    ) -> tuple[Flask, JobRunner]:
        """A new app and its runner (not started), with these jobs and lease times."""
        app = self.app(**config)
        runner = JobRunner(app, jobs=jobs, lease_seconds=lease, renew_seconds=renew)
        self.runners.append(runner)
        return app, runner

    def lease(self) -> SchedulerLease | None:
        """The lease row as the database has it now."""
        with self.apps[0].app_context(), db.session_scope(writer=False) as session:
            return store.get_lease(session=session, name=SCHEDULER_LEASE)

    def close(self) -> None:
        """Stop every runner (waiting for running jobs) and close the connection pools."""
        for runner in self.runners:
            runner.stop(release=False, wait=True)
        for app in self.apps:
            with app.app_context():
                db.dispose()


@pytest.fixture
def cluster(database_url: str, tmp_path: Path) -> Iterator[Cluster]:
    """Runners sharing one fresh database; all stopped at the end."""
    made = Cluster(database_url, tmp_path)
    yield made
    made.close()


def test_only_the_lease_holder_runs_jobs(cluster: Cluster) -> None:
    """Three schedulers fire the same job; every run happens in the one holding the lease."""
    runs: list[str] = []
    runners = [cluster.runner(recorder(), lease=10.0, JOB_RUNS=runs)[1] for _ in range(3)]
    runners[0].start()
    assert wait_until(runners[0].is_leader)
    for runner in runners[1:]:
        runner.start()
    assert wait_until(lambda: len(runs) >= 15)
    assert runners[0].lease is not None
    assert set(runs) == {runners[0].lease.owner}
    assert not runners[1].is_leader() and not runners[2].is_leader()


def test_a_dead_leader_is_replaced_once_its_lease_expires(cluster: Cluster) -> None:
    """When the leader stops renewing, another takes over after (never before) its lease expired,
    and from then on runs the jobs alone."""
    runs: list[str] = []
    (_, first), (_, second) = (cluster.runner(recorder(), lease=1.0, JOB_RUNS=runs) for _ in range(2))
    first.start()
    assert wait_until(first.is_leader)
    second.start()
    assert wait_until(lambda: len(runs) >= 3)
    first.stop(release=False, wait=True)  # dies: no more renewals, no release
    last_of_first = cluster.lease()
    assert last_of_first is not None and first.lease is not None
    assert last_of_first.owner == first.lease.owner
    runs_by_first = len(runs)

    assert wait_until(second.is_leader)
    taken = cluster.lease()
    assert taken is not None and second.lease is not None
    assert taken.owner == second.lease.owner
    assert taken.acquired_at >= last_of_first.expires_at
    assert wait_until(lambda: len(runs) >= runs_by_first + 3)
    assert set(runs[:runs_by_first]) == {first.lease.owner}
    assert set(runs[runs_by_first:]) == {second.lease.owner}


def test_a_clean_stop_releases_the_lease_for_an_early_takeover(cluster: Cluster) -> None:
    """Stopping releases the lease: the next scheduler takes it long before it would have expired."""
    (_, first), (_, second) = (cluster.runner(lease=30.0) for _ in range(2))
    first.start()
    assert wait_until(first.is_leader)
    second.start()
    held = cluster.lease()
    first.stop()
    assert wait_until(second.is_leader)
    taken = cluster.lease()
    assert held is not None and taken is not None
    assert taken.acquired_at < held.expires_at


def test_a_job_whose_module_is_missing_is_logged_once_and_skipped(
    cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    """A job naming a module not written yet logs one warning; the scheduler carries on."""
    caplog.set_level(logging.INFO, logger="jobs.scheduler")
    runs: list[str] = []
    spec = JobSpec("later", "jobs.not_written_yet:run", every=every(0.05))
    _, runner = cluster.runner(spec, recorder(), JOB_RUNS=runs)
    runner.start()
    assert wait_until(lambda: len(runs) >= 5)
    skipped = [r.getMessage() for r in caplog.records if "does not exist" in r.getMessage()]
    assert skipped == ["Job later skipped: jobs.not_written_yet:run does not exist (yet)."]


def test_resolve_target_tells_missing_from_broken() -> None:
    """A missing module or function is "not there yet"; a failing import inside a job module raises."""
    assert resolve_target("jobs.not_written_yet:run") is None
    assert resolve_target("no_such_package.sync:run") is None
    assert resolve_target("tests.jobs.sample_jobs:no_such_function") is None
    assert resolve_target("tests.jobs.sample_jobs:fail") is sample_jobs.fail
    with pytest.raises(ModuleNotFoundError):
        resolve_target("tests.jobs.broken_job:run")


def test_a_failing_job_is_logged_and_the_scheduler_carries_on(
    cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    """A job that raises is logged by the event listener, and the other jobs keep running."""
    caplog.set_level(logging.INFO, logger="jobs.scheduler")
    runs: list[str] = []
    failing = JobSpec("failing", "tests.jobs.sample_jobs:fail", every=every(0.05))
    _, runner = cluster.runner(failing, recorder(), JOB_RUNS=runs)
    runner.start()
    assert wait_until(lambda: any("Job failing failed" in r.getMessage() for r in caplog.records))
    message = next(r.getMessage() for r in caplog.records if "Job failing failed" in r.getMessage())
    assert message == "Job failing failed: RuntimeError: the job broke"
    runs_then = len(runs)
    assert wait_until(lambda: len(runs) > runs_then)


def test_missed_and_overlapping_runs_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    """The listener names the job of a missed run (past the grace time) and of a skipped overlap."""
    caplog.set_level(logging.INFO, logger="jobs.scheduler")
    now = utcnow()
    job_scheduler._log_job_event(JobExecutionEvent(EVENT_JOB_MISSED, "okta-full-sync", "default", now))
    job_scheduler._log_job_event(
        JobSubmissionEvent(EVENT_JOB_MAX_INSTANCES, "okta-incremental-sync", "default", [now])
    )
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert messages[0].startswith(f"Job okta-full-sync did not run at {now}: the process was busy or asleep")
    assert messages[1] == "Job okta-incremental-sync skipped a run: its previous run is still going."


def test_jobs_of_one_group_never_overlap(cluster: Cluster, caplog: pytest.LogCaptureFixture) -> None:
    """While one job of a group runs, another of the group is skipped; it runs again afterwards."""
    caplog.set_level(logging.INFO, logger="jobs.scheduler")
    runs: list[str] = []
    started, release = threading.Event(), threading.Event()
    slow = JobSpec("slow", "tests.jobs.sample_jobs:block", every=every(0.05), group="sync")
    quick = recorder("quick", 0.05, group="sync")
    _, runner = cluster.runner(slow, quick, JOB_RUNS=runs, JOB_STARTED=started, JOB_RELEASE=release)
    runner.start()
    assert started.wait(DEADLINE)
    before = len(runs)  # quick may have run before slow started; from now on slow holds the group
    assert wait_until(lambda: any("Job quick skipped" in r.getMessage() for r in caplog.records))
    assert len(runs) == before
    release.set()
    assert wait_until(lambda: len(runs) > before)


def test_a_job_that_waits_for_its_group_runs_after_the_other(cluster: Cluster) -> None:
    """A `waits_for_group` job (the nightly full sync) waits for a running job of its group."""
    runs: list[str] = []
    waiter = JobSpec(
        "waiter", "tests.jobs.sample_jobs:record_run", cron={"hour": 3}, group="sync", waits_for_group=True
    )
    _, runner = cluster.runner(waiter, JOB_RUNS=runs)
    runner.start()
    assert wait_until(runner.is_leader)
    group = runner._groups["sync"]
    group.acquire()  # another job of the group is running
    thread = threading.Thread(target=runner._run_job, args=["waiter"])
    thread.start()
    thread.join(0.3)
    assert thread.is_alive() and runs == []
    group.release()
    thread.join(DEADLINE)
    assert runs == [runner.lease.owner if runner.lease else ""]


def test_the_interval_is_re_read_at_runtime(cluster: Cluster) -> None:
    """Changing the interval reschedules the job: at once with reschedule(), else at the next renewal."""
    runs: list[str] = []
    spec = JobSpec("record", "tests.jobs.sample_jobs:record_run", every=lambda app: app.config["EVERY"])
    app, runner = cluster.runner(spec, JOB_RUNS=runs, EVERY=timedelta(hours=1))
    runner.start()
    assert wait_until(runner.is_leader)
    assert runner.next_run_times()["record"] is not None
    app.config["EVERY"] = timedelta(seconds=0.05)
    reschedule(app)
    assert wait_until(lambda: len(runs) >= 3)
    app.config["EVERY"] = timedelta(hours=2)  # picked up by the lease keeper

    def on_the_two_hour_grid() -> bool:
        # Interval runs sit on a grid shared by every process (anchor + k x interval), so the next run
        # can be anywhere up to two hours away, but it is on that grid and no longer 0.05 s off.
        upcoming = runner.next_run_times()["record"]
        if upcoming is None or upcoming <= utcnow() + timedelta(seconds=1):
            return False
        return (upcoming - INTERVAL_ANCHOR) % timedelta(hours=2) == timedelta(0)

    assert wait_until(on_the_two_hour_grid)


def test_sync_interval_follows_the_admin_choice_within_bounds(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The incremental sync interval: SYNC_INTERVAL_MINUTES, or what jobs.sync stores, 1 to 60 min."""
    app.config["SYNC_INTERVAL_MINUTES"] = 5
    fake = types.ModuleType("jobs.sync")
    monkeypatch.setitem(sys.modules, "jobs.sync", fake)
    assert sync_interval(app) == timedelta(minutes=5)
    for stored, expected in ((None, 5), (7, 7), (120, 60)):
        fake.sync_interval_minutes = lambda _app, value=stored: value  # type: ignore[attr-defined]
        assert sync_interval(app) == timedelta(minutes=expected)

    def broken(_app: Flask) -> int:
        raise RuntimeError("no table yet")

    fake.sync_interval_minutes = broken  # type: ignore[attr-defined]
    assert sync_interval(app) == timedelta(minutes=5)


def test_jobs_are_told_to_stop_on_shutdown(cluster: Cluster) -> None:
    """should_stop(app) is False for a job run by the leader, True once its runner stops, and False
    outside any scheduler."""
    runs: list[object] = []
    spec = JobSpec("note", "tests.jobs.sample_jobs:note_should_stop", every=every(0.05))
    app, runner = cluster.runner(spec, lease=10.0, JOB_RUNS=runs)
    assert not should_stop(app)
    runner.start()
    assert wait_until(lambda: len(runs) >= 2)
    assert set(runs) == {False}
    runner.stop(wait=True)
    assert should_stop(app)


def test_start_in_server_honours_the_setting_and_flask_cli(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SCHEDULER_ENABLED=False starts nothing; under `flask run` the first request starts it."""
    assert start_in_server(cluster.app(SCHEDULER_ENABLED=False)) is None

    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    served = cluster.app(SCHEDULER_ENABLED=True, SCHEDULER_LEASE_SECONDS=1.0, SCHEDULER_RENEW_SECONDS=0.1)
    runner = start_in_server(served)
    assert runner is not None
    cluster.runners.append(runner)
    assert not runner.running
    served.test_client().get("/healthz")
    assert runner.running
    assert wait_until(runner.is_leader)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forking_process_hands_the_jobs_to_its_children(cluster: Cluster) -> None:
    """gunicorn --preload: the process that forks gives its scheduler and lease up; the child starts
    afresh (on its first request) with none of the parent's threads."""
    _, runner = cluster.runner(lease=30.0)
    runner.start()
    assert wait_until(runner.is_leader)
    held = cluster.lease()
    pid = os.fork()
    if pid == 0:  # the child: report through the exit status only
        os._exit(0 if not runner.running and not runner._stopped and runner.lease is None else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert not runner.running
    released = cluster.lease()
    assert held is not None and released is not None
    assert released.expires_at < held.expires_at
    assert job_scheduler._RUNNERS  # the hooks know the runner
