"""`flask jobs status`: who leads and when each job runs next."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from jobs.registry import JOBS, JobSpec
from webapp.db import utcnow
from webapp.extensions import db
from webapp.scheduling import store
from webapp.scheduling.lease import SCHEDULER_LEASE


def test_status_before_any_server_started(app: Flask) -> None:
    """No lease row yet: no leader; every registered job is listed with its plan and next run."""
    result = app.test_cli_runner().invoke(args=["jobs", "status"])
    assert result.exit_code == 0, result.output
    assert "Leader: none yet" in result.output
    for spec in JOBS:
        assert spec.id in result.output and spec.target in result.output
    assert "every 1 h from 03:00 UTC" in result.output  # the full sync: hourly until an org is large
    assert "jobs.housekeeping:prune_login_attempts" in result.output


def test_status_names_the_leader_and_a_free_lease(app: Flask) -> None:
    """A live lease names its holder; an expired one says the lease is free and who held it last."""
    app.config["SCHEDULER_JOBS"] = (
        JobSpec("later", "jobs.not_written_yet:run", every=lambda _app: timedelta(minutes=5)),
    )
    with app.app_context(), db.session_scope() as session:
        store.claim_lease(
            session=session,
            name=SCHEDULER_LEASE,
            owner="web-1:42:abcd",
            now=utcnow(),
            ttl=timedelta(seconds=30),
        )
    live = app.test_cli_runner().invoke(args=["jobs", "status"])
    assert "Leader: web-1:42:abcd, since" in live.output
    assert "later" in live.output and "every 5 min" in live.output and "(not available yet)" in live.output

    with app.app_context(), db.session_scope() as session:
        store.release_lease(session=session, name=SCHEDULER_LEASE, owner="web-1:42:abcd", now=utcnow())
    free = app.test_cli_runner().invoke(args=["jobs", "status"])
    assert "Leader: none (the lease is free since" in free.output
    assert "last held by web-1:42:abcd" in free.output
