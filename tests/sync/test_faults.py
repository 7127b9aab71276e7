"""Okta misbehaving in the middle of pagination (5xx, timeouts, dropped connections, malformed JSON,
429s), a lost grant and a missing scope: nothing is lost, and the next run completes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import make_test_app
from tests.okta_flow import SandboxTime
from tests.sync.conftest import Connected
from tests.sync.helpers import (
    assert_in_step_with_okta,
    ok,
    okta_users,
    runs,
    state,
    sync,
    teammate_of,
    user_id,
)
from webapp.db import utcnow
from webapp.extensions import db
from webapp.sources.okta import store as okta_store
from webapp.sources.okta.service import okta_services
from webapp.sync import store
from webapp.sync.models import SyncKind, SyncRun, SyncRunStatus

USERS = "/api/v1/users"
PAGE_SIZE = 5  # 26 users: 6 pages


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The test app, with a short Okta timeout (so timeout tests take little real time) and small pages."""
    app = make_test_app(database_url, tmp_path / "instance", OKTA_HTTP_TIMEOUT=0.5)
    app.config["SYNC_PAGE_SIZE"] = PAGE_SIZE
    yield app
    with app.app_context():
        db.dispose()


@pytest.fixture
def synced(connected: Connected) -> Connected:
    """Connected, and a first full sync done."""
    ok(connected.app, SyncKind.FULL)
    return connected


def _inject_after_page(org: Any, page: int, kind: str, **fault: Any) -> Any:
    """A progress callback that injects a fault once page `page` is written (the next page is then
    already in flight, so the fault hits the one after it, or that one: mid-pagination either way)."""

    def progress(run: SyncRun) -> None:
        if run.pages == page:
            org.inject_fault(kind, path_prefix=USERS, **fault)

    return progress


def _change_many(org: Any, count: int, title: str) -> None:
    """Retitle the first `count` users (any status; the sandbox admin excluded)."""
    users = [u for u in okta_users(org) if u["profile"]["login"] != org.admin_login]
    for index, user in enumerate(users[:count]):
        org.update_user(user["id"], profile={"title": f"{title} {index}"})


@pytest.mark.parametrize(
    ("kind", "fault"),
    [
        ("http_error", {"status": 503, "count": 4}),  # the transport's 3 tries, then the page is asked again
        ("drop", {"count": 4}),
        ("malformed_json", {"count": 2}),
        ("latency", {"latency_seconds": 1.0, "count": 1}),  # longer than the 0.5 s timeout
        ("rate_limit", {"count": 1}),
    ],
)
def test_a_fault_mid_pagination_heals_and_loses_nothing(
    synced: Connected, kind: str, fault: dict[str, Any]
) -> None:
    """A 5xx, a dropped connection, a truncated JSON body, a timeout or a 429 in the middle of a
    multi-page sync is retried; the run succeeds and every change is in."""
    org, app = synced.org, synced.app
    _change_many(org, 20, "Healed")
    run = ok(app, progress=_inject_after_page(org, 1, kind, **fault))
    assert run.status == SyncRunStatus.SUCCEEDED and run.updated == 20 and run.pages == 4
    assert not org.pending_faults()
    assert run.api_requests > run.pages  # the retries were counted
    if kind == "rate_limit":
        assert run.rate_limit_waits == 1 and run.rate_limit_wait_seconds > 0
    assert_in_step_with_okta(app, org)


def test_okta_failing_for_good_fails_the_run_clearly_and_the_next_run_completes(synced: Connected) -> None:
    """5xx on every attempt: the run fails after capped retries with a clear message; what was
    written stays, nobody is deactivated on the strength of missing data, the watermark does not
    move; the next run reads the changes again and completes."""
    org, app = synced.org, synced.app
    watermark = state(app).watermark
    _change_many(org, 20, "Later")
    leaver = user_id(org, 0)  # on the first page
    org.deactivate_user(leaver)
    failed = sync(app, progress=_inject_after_page(org, 1, "http_error", status=500, count=1000))
    assert failed.status == SyncRunStatus.FAILED and failed.finished_at is not None
    assert failed.error is not None and "Okta kept failing" in failed.error and "attempts" in failed.error
    assert failed.pages >= 1
    teammate, record = teammate_of(app, leaver)
    assert record.status == "DEPROVISIONED" and teammate.active  # recorded, not acted on
    assert state(app).watermark == watermark
    org.clear_faults()
    run = ok(app)
    assert run.deactivated == 1 and run.updated >= 20 - failed.updated
    assert_in_step_with_okta(app, org)


def test_the_run_shows_it_is_waiting_for_the_rate_limit_until_when(synced: Connected) -> None:
    """While waiting for Okta's reset the run row says WAITING and until when; afterwards it is
    RUNNING (then SUCCEEDED) again."""
    org, app = synced.org, synced.app
    seen: list[tuple[str, datetime | None]] = []

    class Watching(SandboxTime):
        def sleep(self, seconds: float) -> None:
            with app.app_context(), db.session_scope(writer=False) as session:
                current = store.current_run(session=session, source="okta")
                assert current is not None
                seen.append((current.status, current.waiting_until))
            super().sleep(seconds)

    with app.app_context():
        okta_services.state.transport.clock = Watching(org).clock()
    _change_many(org, 20, "Waited")
    started = utcnow()
    run = ok(app, progress=_inject_after_page(org, 1, "rate_limit", count=1))
    # Only the rate-limit wait sets WAITING; under load a page retry may sleep (RUNNING) before it.
    waits = [until for status, until in seen if status == SyncRunStatus.WAITING]
    assert waits and all(until is not None for until in waits), seen
    assert started < waits[0] <= utcnow() + timedelta(seconds=62)
    assert run.status == SyncRunStatus.SUCCEEDED and run.waiting_until is None and run.rate_limit_waits == 1


def test_a_lost_grant_stops_syncing_until_reconnected(synced: Connected) -> None:
    """Okta revoked the grant: the 401 goes through the token service, whose refresh fails; the run
    fails saying to reconnect, the connection needs reconnecting, and later syncs do nothing."""
    org, app = synced.org, synced.app
    org.revoke_tokens()
    failed = sync(app)
    assert failed.status == SyncRunStatus.FAILED and failed.error is not None
    assert "reconnect" in failed.error.lower()
    with app.app_context(), db.session_scope(writer=False) as session:
        connection = okta_store.get_connection(session=session)
        assert connection is not None and connection.status == "needs_reconnect"
    from tests.sync.helpers import run_outcome

    outcome = run_outcome(app)
    assert outcome.run is None and outcome.skipped and "reconnect" in outcome.skipped
    assert len(runs(app)) == 2


def test_a_missing_scope_names_the_scope_and_the_wizard_step(synced: Connected) -> None:
    """An access token without okta.users.read: the run fails naming the scope and step 9."""
    org, app = synced.org, synced.app
    tokens = org.issue_tokens_for_tests(scopes=("openid", "offline_access", "okta.schemas.read"))
    with app.app_context(), db.session_scope() as session:
        connection = okta_store.get_connection(session=session)
        assert connection is not None
        connection.access_token_ciphertext = okta_services.secret_box.encrypt(tokens["access_token"])
        connection.access_token_expires_at = utcnow() + timedelta(hours=1)
        connection.token_version += 1
        session.add(connection)
    failed = sync(app)
    assert failed.status == SyncRunStatus.FAILED and failed.error is not None
    assert "okta.users.read" in failed.error and "step 9" in failed.error
