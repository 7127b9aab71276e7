"""Event-hook floods: concurrent deliveries never lose a count, a flood of refused deliveries costs
one write and one log line per window (with the count folded in), replays start nothing, and the
minimum interval between hook-triggered syncs holds across app instances sharing one database."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from tests.helpers import page_text
from tests.sync.test_event_hooks import HOOK, hook_row, okta_body, okta_client
from webapp.extensions import db
from webapp.sync import hook_refusals, hooks

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
def hook_updates(app: Flask) -> Iterator[list[str]]:
    """Every UPDATE statement on the event hook's row, as sent to the database."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE OKTA_EVENT_HOOKS"):
            seen.append(statement)

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


def test_a_refused_flood_costs_one_write_and_one_line_per_window(
    hook_on: Flask, hook_updates: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    """200 forged deliveries at once: all refused (401), but only the first is written and logged;
    the other 199 are folded into the next write and line, which say how many; nothing is lost."""
    caplog.set_level(logging.INFO)
    statuses = deliver_at_once(hook_on, okta_body("user.lifecycle.delete.completed"), "forged")
    assert statuses == [401] * THREADS * PER_THREAD
    assert len(hook_updates) == 1 and len(refusal_lines(caplog)) == 1
    assert hook_row(hook_on).refused_count == 1
    hook_refusals.refusals_for(hook_on).flush()
    lines = refusal_lines(caplog)
    assert len(hook_updates) == 2 and len(lines) == 2
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
