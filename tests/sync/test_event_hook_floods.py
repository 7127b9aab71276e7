"""Event-hook floods: concurrent deliveries never lose a count, a flood of refused deliveries costs
one write and one log line per window (with the count folded in), replays start nothing, and the
minimum interval between hook-triggered syncs holds across app instances sharing one database."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlmodel import select

from tests.conftest import make_test_app
from tests.helpers import page_text
from tests.sync.conftest import Connected
from tests.sync.helpers import ok, user_id
from tests.sync.test_event_hooks import (
    HOOK,
    generate_secret,
    hook_row,
    okta_body,
    okta_client,
    runs,
)
from webapp.db import utcnow
from webapp.extensions import db
from webapp.sync import hook_refusals, hook_replays, hooks
from webapp.sync.hooks import HookSyncs, hook_syncs
from webapp.sync.models import OktaEventSeen, SyncKind, SyncRun, SyncTrigger

SECRET = "a-flood-secret"
THREADS = 8
PER_THREAD = 25


@pytest.fixture
def hook_on(app: Flask) -> Flask:
    """The event hook has a secret and is on (no Okta connection: these deliveries start no sync)."""
    with app.app_context(), db.session_scope() as session:
        hooks.set_secret(session=session, header_name="Authorization", secret=SECRET)
    return app


@pytest.fixture
def statements(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement sent to the database (BEGIN IMMEDIATE included on SQLite), upper-cased."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.lstrip().upper())

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def deliver_at_once(app: Flask, body: dict[str, Any], secret: str) -> list[int]:
    """THREADS clients like Okta post `body` PER_THREAD times each, all starting together."""
    statuses: list[int] = []
    barrier = threading.Barrier(THREADS)

    def worker() -> None:
        okta = okta_client(app)
        barrier.wait()
        for _ in range(PER_THREAD):
            statuses.append(okta.post(HOOK, json=body, headers={"Authorization": secret}).status_code)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def refusal_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The log lines about refused deliveries."""
    return [record.getMessage() for record in caplog.records if "Refused" in record.getMessage()]


def test_concurrent_accepted_deliveries_lose_no_count(hook_on: Flask) -> None:
    """200 authentic deliveries from 8 threads at once raise `accepted_count` by exactly 200 (an
    increment in SQL, not a read-modify-write of the loaded row)."""
    statuses = deliver_at_once(hook_on, okta_body("user.session.start"), SECRET)
    assert statuses == [200] * THREADS * PER_THREAD
    hook = hook_row(hook_on)
    assert (hook.accepted_count, hook.refused_count) == (THREADS * PER_THREAD, 0)
    assert hook.last_event_types == ["user.session.start"]


def hook_updates(statements: list[str]) -> list[str]:
    """The UPDATEs of the event hook's row, and the write transactions (SQLite) among `statements`."""
    return [sql for sql in statements if sql.startswith(("UPDATE OKTA_EVENT_HOOKS", "BEGIN IMMEDIATE"))]


def test_a_refused_flood_costs_one_write_and_one_line_per_window(
    hook_on: Flask, statements: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    """200 forged deliveries at once: all refused (401), but only the first is written and logged
    (and only it opens a write transaction); the other 199 are folded into the next write and line,
    which say how many; nothing is lost."""
    caplog.set_level(logging.INFO)
    statuses = deliver_at_once(hook_on, okta_body("user.lifecycle.delete.completed"), "forged")
    assert statuses == [401] * THREADS * PER_THREAD
    sqlite = hook_on.config["DATABASE_URL"].startswith("sqlite")
    per_write = 2 if sqlite else 1  # BEGIN IMMEDIATE + UPDATE on SQLite, the UPDATE on PostgreSQL
    assert len(hook_updates(statements)) == per_write and len(refusal_lines(caplog)) == 1
    assert hook_row(hook_on).refused_count == 1
    hook_refusals.refusals_for(hook_on).flush()
    lines = refusal_lines(caplog)
    assert len(hook_updates(statements)) == 2 * per_write and len(lines) == 2
    assert "199 refused" in lines[1], lines[1]
    hook = hook_row(hook_on)
    assert (hook.refused_count, hook.accepted_count) == (THREADS * PER_THREAD, 0)
    assert all("forged" not in line for line in lines)


def test_folded_refusals_are_written_when_the_window_ends(hook_on: Flask) -> None:
    """Refusals folded into a window are written when it ends, with no further delivery to carry them."""
    hook_on.config["EVENT_HOOK_REFUSED_LOG_SECONDS"] = 0.3
    okta = okta_client(hook_on)
    for _ in range(3):
        assert okta.post(HOOK, json=okta_body("user.lifecycle.create")).status_code == 401
    assert hook_row(hook_on).refused_count == 1
    assert hook_refusals.refusals_for(hook_on).wait_written(10)
    assert hook_row(hook_on).refused_count == 3


def test_the_sync_page_says_refused_counts_are_batched(
    hook_on: Flask, htmx_client: FlaskClient, signed_in: Any
) -> None:
    """The counts on the Sync page say that refused deliveries are written at most once a minute."""
    okta_client(hook_on).post(HOOK, json=okta_body("user.lifecycle.create"))
    shown = page_text(htmx_client.get("/sync/event-hook"))
    assert "0 accepted, 1 refused" in shown
    assert "Refused deliveries are counted at most once every 60 seconds" in shown, shown


# ----------------------------------------------------------------------------- replays and the interval


def event_hook_runs(app: Flask) -> list[SyncRun]:
    """The sync runs event hooks started, oldest first."""
    return [run for run in runs(app) if run.trigger == SyncTrigger.EVENT_HOOK]


@pytest.fixture
def quick(connected: Connected) -> Connected:
    """Connected, fully synced once; event syncs start 0.1 s after a delivery, at least 0.1 s apart."""
    connected.app.config.update(EVENT_HOOK_DEBOUNCE_SECONDS=0.1, EVENT_HOOK_MIN_INTERVAL_SECONDS=0.1)
    ok(connected.app, SyncKind.FULL)
    return connected


def test_replays_of_one_delivery_start_one_sync(quick: Connected, client: FlaskClient) -> None:
    """One authentic delivery starts one sync; the same delivery posted again, one at a time after
    each sync and then 200 times at once, is acknowledged (Okta must not retry) and counted, but
    starts nothing; a delivery with a new event does sync."""
    app = quick.app
    secret = generate_secret(client)
    body = okta_body("user.lifecycle.deactivate", target=user_id(quick.org, 3))
    okta = okta_client(app)
    for _ in range(4):
        assert okta.post(HOOK, json=body, headers={"Authorization": secret}).status_code == 200
        assert hook_syncs.wait_idle(30)
    statuses = deliver_at_once(app, body, secret)
    assert statuses == [200] * THREADS * PER_THREAD and hook_syncs.wait_idle(30)
    assert len(event_hook_runs(app)) == 1
    assert hook_row(app).accepted_count == 4 + THREADS * PER_THREAD
    fresh = okta_body("user.lifecycle.deactivate", target=user_id(quick.org, 3))
    assert okta.post(HOOK, json=fresh, headers={"Authorization": secret}).status_code == 200
    assert hook_syncs.wait_idle(30)
    assert len(event_hook_runs(app)) == 2


def test_a_delivery_is_new_if_any_of_its_events_is(quick: Connected, client: FlaskClient) -> None:
    """A delivery carrying one seen and one new event syncs; events without a System Log `uuid` are
    not Okta's shape and are ignored."""
    app = quick.app
    secret = generate_secret(client)
    okta = okta_client(app)
    first = okta_body("user.account.update_profile")
    assert okta.post(HOOK, json=first, headers={"Authorization": secret}).status_code == 200
    assert hook_syncs.wait_idle(30)
    mixed = okta_body("user.lifecycle.suspend")
    mixed["data"]["events"].append(first["data"]["events"][0])
    assert okta.post(HOOK, json=mixed, headers={"Authorization": secret}).status_code == 200
    assert hook_syncs.wait_idle(30)
    assert len(event_hook_runs(app)) == 2
    unnamed = okta_body("user.lifecycle.create")
    del unnamed["data"]["events"][0]["uuid"]
    assert okta.post(HOOK, json=unnamed, headers={"Authorization": secret}).status_code == 200
    assert hook_syncs.wait_idle(30)
    assert len(event_hook_runs(app)) == 2


def test_seen_events_expire_after_a_day(app: Flask) -> None:
    """Event ids are kept a day: older ones are deleted when new ones are written, so the table
    stays small, and an id seen more than a day ago counts as new again."""
    now, remember = utcnow(), hook_replays.remember_events
    with app.app_context(), db.session_scope() as session:
        assert remember(session=session, event_ids=["a", "b"], now=now - timedelta(hours=25))
        assert remember(session=session, event_ids=["c"], now=now - timedelta(hours=1))
    with app.app_context(), db.session_scope() as session:
        assert remember(session=session, event_ids=["a", "c", "d", "d"], now=now) == ("a", "d")
    with app.app_context(), db.session_scope(writer=False) as session:
        kept = sorted(row.event_id for row in session.exec(select(OktaEventSeen)).all())
    assert kept == ["a", "c", "d"]


def test_two_app_instances_share_the_minimum_interval(
    quick: Connected, client: FlaskClient, database_url: str, tmp_path: Path
) -> None:
    """Two Signet processes (two apps on one database, each with its own debounce) asked to sync at
    the same moment: the second starts its sync only once the minimum interval after the first has
    passed (it waits rather than drop the events it got), so N processes cannot multiply the syncs."""
    generate_secret(client)
    other = make_test_app(database_url, tmp_path / "instance")  # same database, same instance key
    interval = 2.0
    try:
        for app in (quick.app, other):
            app.config.update(EVENT_HOOK_DEBOUNCE_SECONDS=0.05, EVENT_HOOK_MIN_INTERVAL_SECONDS=interval)
        first, second = HookSyncs(), HookSyncs()
        first.request(quick.app)
        second.request(other)
        assert first.wait_idle(60) and second.wait_idle(60)
        assert (first.started, second.started) == (1, 1)
        started = [run.started_at for run in event_hook_runs(quick.app)]
        assert len(started) == 2 and [run.error for run in event_hook_runs(quick.app)] == [None, None]
        # The interval is kept between the claims (database clock), and no run starts before its claim.
        claims = sorted(first.claimed_at + second.claimed_at)
        assert len(claims) == 2 and (claims[1] - claims[0]).total_seconds() >= interval, claims
        assert started[1] >= claims[1] - timedelta(seconds=0.05), (started, claims)
    finally:
        with other.app_context():
            db.dispose()
