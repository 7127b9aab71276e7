"""Safety: `kill -9` mid-sync, one sync at a time across processes, and the job entry points."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask, testing

from okta_sandbox import OktaSandbox, SandboxServer
from tests.conftest import AuthActions
from tests.sync.conftest import Connected, connect
from tests.sync.helpers import (
    assert_in_step_with_okta,
    ok,
    okta_users,
    run_outcome,
    runs,
    state,
    teammate_of,
    user_id,
)
from webapp.db import utcnow
from webapp.extensions import db
from webapp.sync import store
from webapp.sync.lock import HOSTNAME, SyncLock
from webapp.sync.models import SyncKind, SyncRunStatus, SyncTrigger

USERS = "/api/v1/users"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def roomy_sandbox() -> Iterator[SandboxServer]:
    """A sandbox of 200 teammates with Okta's default (roomy) rate limits."""
    server = SandboxServer(OktaSandbox(seed=3, users=200)).start()
    yield server
    server.stop()


def test_kill_9_mid_sync_then_the_next_run_ends_in_exactly_the_right_state(
    app: Flask,
    client: testing.FlaskClient,
    auth: AuthActions,
    roomy_sandbox: SandboxServer,
    database_url: str,
    tmp_path: Path,
) -> None:
    """A sync process killed with SIGKILL after a few pages: what it committed stays, nobody is
    deactivated, the watermark has not moved; the next run takes the dead process's lock at once,
    marks its run failed, reads the changes again and ends exactly in step with Okta."""
    connected = connect(app, client, auth, roomy_sandbox)
    org = connected.org
    ok(app, SyncKind.FULL)
    watermark = state(app).watermark
    users = [u for u in okta_users(org) if u["profile"]["login"] != org.admin_login]
    for index, user in enumerate(users[:150]):
        org.update_user(user["id"], profile={"title": f"Moved {index}", "yearsOfService": index})
    leavers = [user_id(org, index) for index in (0, 1, 2)]
    for leaver in leavers:
        org.deactivate_user(leaver)
    org.create_user(
        profile={
            "login": "late@signet-demo.example",
            "email": "late@signet-demo.example",
            "firstName": "Late",
            "lastName": "Joiner",
        }
    )
    org.inject_fault("latency", count=10_000, latency_seconds=0.15, path_prefix=USERS)
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "tests.sync.sync_process", database_url, str(tmp_path / "instance"), "10"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            current = runs(app)[-1]
            if current.kind == SyncKind.INCREMENTAL and current.pages >= 3:
                break
            assert child.poll() is None, child.communicate()
            time.sleep(0.05)
        else:
            pytest.fail("the child sync never got going")
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    killed = runs(app)[-1]
    assert killed.status == SyncRunStatus.RUNNING and killed.finished_at is None
    assert 3 <= killed.pages < 16 and killed.updated >= 20
    assert state(app).watermark == watermark and state(app).lock_owner is not None
    assert all(teammate_of(app, leaver)[0].active for leaver in leavers)
    org.clear_faults()
    run = ok(app)
    assert run.kind == SyncKind.INCREMENTAL and run.deactivated == 3 and run.created == 1
    killed = next(r for r in runs(app) if r.id == killed.id)
    assert killed.status == SyncRunStatus.FAILED and killed.error and "Interrupted" in killed.error
    assert_in_step_with_okta(app, org)
    assert state(app).lock_owner is None


def test_one_sync_at_a_time(connected: Connected) -> None:
    """While another live process holds a source's sync lock, a sync is skipped (or waits)."""
    app = connected.app
    with app.app_context():
        other = SyncLock(source="okta")
        other.owner = f"{HOSTNAME}:1:someone-else"  # pid 1 is alive on this host
        assert other.acquire()
    outcome = run_outcome(app)
    assert outcome.run is None and outcome.skipped == "Another sync of this source is running."
    with app.app_context():
        other.release()
    assert ok(app).kind == SyncKind.FULL


def test_a_lock_left_by_a_dead_process_is_taken_over_at_once(connected: Connected) -> None:
    """A lock held by a process of this host that no longer exists does not wait for its expiry."""
    app = connected.app
    with app.app_context(), db.session_scope() as session:
        store.claim_lock(
            session=session,
            source="okta",
            owner=f"{HOSTNAME}:999999999:gone",
            now=utcnow(),
            ttl=timedelta(hours=1),
        )
    assert ok(app).status == SyncRunStatus.SUCCEEDED


def test_jobs_do_nothing_until_okta_is_connected(app: Flask) -> None:
    """The scheduled entry points are no-ops without a connection (no run recorded)."""
    from jobs.sync import run_full_sync, run_incremental_sync, sync_interval_minutes

    run_incremental_sync(app)
    run_full_sync(app)
    assert runs(app) == []
    assert sync_interval_minutes(app) is None
    with app.app_context(), db.session_scope() as session:
        store.set_poll_interval(session=session, source="okta", minutes=15)
        with pytest.raises(ValueError):
            store.set_poll_interval(session=session, source="okta", minutes=61)
    assert sync_interval_minutes(app) == 15


def test_job_entry_points_sync(connected: Connected) -> None:
    """`run_full_sync` then `run_incremental_sync` each record a run."""
    from jobs.sync import run_full_sync, run_incremental_sync

    run_full_sync(connected.app)
    run_incremental_sync(connected.app)
    assert [(r.kind, r.status) for r in runs(connected.app)] == [
        (SyncKind.FULL, SyncRunStatus.SUCCEEDED),
        (SyncKind.INCREMENTAL, SyncRunStatus.SUCCEEDED),
    ]


def test_full_sync_in_background_after_connect(connected: Connected) -> None:
    """`start_full_sync_in_background` returns at once; one such thread per process at a time."""
    from jobs.sync import background_sync_thread, start_full_sync_in_background

    app = connected.app
    assert start_full_sync_in_background(app) is True
    thread = background_sync_thread()
    assert thread is not None
    thread.join(timeout=30)
    assert not thread.is_alive()
    (run,) = runs(app)
    assert (run.kind, run.trigger, run.status) == (
        SyncKind.FULL,
        SyncTrigger.CONNECT,
        SyncRunStatus.SUCCEEDED,
    )
    assert state(app).full_sync_requested_at is None
