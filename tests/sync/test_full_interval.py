"""The full sync's interval (issue 16): hourly up to 10,000 users and nightly above by default,
chosen on the Sync page with its cost in Okta requests beside it, and followed by the scheduler;
and a full sync whose next link names another host, explained on the Sync page."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from jobs.registry import FULL_SYNC, FULL_SYNC_ANCHOR, JOBS, full_sync_interval
from tests.conftest import AuthActions
from tests.helpers import page_text, visible_text
from tests.sync.conftest import Connected
from tests.sync.helpers import ok, sync
from tests.teammates.factories import gen_connection
from webapp.audit.models import AuditEvent
from webapp.extensions import db
from webapp.sources.okta.store import get_connection
from webapp.sync import store
from webapp.sync.full_interval import FullSyncCost, default_hours, effective_hours
from webapp.sync.models import SyncKind, SyncRunStatus


@pytest.fixture
def connected_page(app: Flask, signed_in: AuthActions) -> Flask:
    """Signed in, with Okta connected (a stored connection; nothing calls Okta)."""
    with app.app_context(), db.session_scope() as session:
        gen_connection(session)
    return app


def set_user_count(app: Flask, count: int | None) -> None:
    """The user count the last full sync found."""
    with app.app_context(), db.session_scope() as session:
        connection = get_connection(session=session)
        assert connection is not None
        connection.user_count = count
        session.add(connection)


def test_default_and_cost() -> None:
    """Hourly up to 10,000 users (or before the first count), nightly above; a run costs a page per
    200 users plus the schema."""
    assert [default_hours(count) for count in (None, 0, 10_000, 10_001)] == [1, 1, 1, 24]
    assert effective_hours(6, 50_000) == 6 and effective_hours(5, 50_000) == 24
    cost = FullSyncCost(users=10_000, hours=1)
    assert (cost.pages, cost.per_run, cost.per_day) == (50, 51, 1224)
    nightly = FullSyncCost(users=25_001, hours=24)
    assert (nightly.per_run, nightly.per_day) == (127, 127)
    assert FullSyncCost(users=None, hours=1).per_run == 2


def test_the_scheduler_follows_the_interval(connected_page: Flask) -> None:
    """The full-sync job runs on the interval the admin chose, else the default for the org's
    size, at 03:00 UTC plus whole intervals (nightly: 03:00)."""
    app = connected_page
    (spec,) = [spec for spec in JOBS if spec.id == FULL_SYNC]
    assert spec.every is full_sync_interval and spec.anchor == FULL_SYNC_ANCHOR
    assert full_sync_interval(app) == timedelta(hours=1)
    set_user_count(app, 40_000)
    assert full_sync_interval(app) == timedelta(hours=24)
    after = FULL_SYNC_ANCHOR + timedelta(days=9000, hours=5)
    assert spec.next_run(app, after) == FULL_SYNC_ANCHOR + timedelta(days=9001)
    with app.app_context(), db.session_scope() as session:
        store.set_full_sync_interval(session=session, source="okta", hours=6)
    assert full_sync_interval(app) == timedelta(hours=6)
    assert spec.next_run(app, after) == after + timedelta(hours=1)  # 03:00, 09:00...: 08:00 waits for 09:00


def test_page_shows_the_interval_and_its_cost(connected_page: Flask, client: FlaskClient) -> None:
    """The Sync page says how often full syncs run, why, and what they cost per run and per day."""
    set_user_count(connected_page, 4321)
    text = visible_text(client.get("/sync/"))
    assert (
        "Full sync interval" in text
        and "one every 1 hour (the default for an org of up to 10,000 users" in text
    )
    assert (
        "23 Okta requests a run (22 pages of 200 users for 4,321 users, plus the schema), 552 a day." in text
    )
    assert "Hours between full syncs" in text and "24 hours (23 requests a day)" in text


def test_interval_is_saved(connected_page: Flask, client: FlaskClient, htmx_client: FlaskClient) -> None:
    """A choice is stored, audited and shown; htmx gets the section and the schedule event; the
    default choice goes back to None."""
    set_user_count(connected_page, 30_000)
    response = htmx_client.post("/sync/full-interval", data={"hours": "12"})
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "syncScheduleChanged"
    fragment = page_text(response)
    assert fragment.lstrip().startswith('<section id="full-sync-interval"')
    assert "Saved: a full sync now runs every 12 hours." in fragment
    assert "151 Okta requests a run" in fragment and "302 a day" in fragment
    with connected_page.app_context():
        assert store.get_state(session=db.session, source="okta").full_sync_interval_hours == 12
        assert "sync.full_interval_changed" in [e.action for e in db.session.exec(select(AuditEvent)).all()]
    plain = client.post("/sync/full-interval", data={"hours": "default"})
    assert plain.status_code == 303
    text = visible_text(client.get("/sync/"))
    assert "Full syncs now run the default for the org's size." in text
    assert "one every 24 hours (the default for an org of more than 10,000 users" in text
    with connected_page.app_context():
        assert store.get_state(session=db.session, source="okta").full_sync_interval_hours is None


@pytest.mark.parametrize("value", ["", "5", "0", "25", "-1", "1.5", "9" * 40, "' OR 1=1 --"])
def test_interval_is_validated(
    connected_page: Flask, client: FlaskClient, htmx_client: FlaskClient, value: str
) -> None:
    """Anything but a listed choice: 422, the section again with the error tied to the select."""
    for sender in (htmx_client, client):
        response = sender.post("/sync/full-interval", data={"hours": value})
        body = page_text(response)
        assert response.status_code == 422
        assert "Choose one of 1, 2, 3, 4, 6, 8, 12, 24 hours, or the default for the org's size." in body
        assert 'aria-invalid="true" aria-describedby="full-sync-interval-error"' in body
    with connected_page.app_context():
        assert store.get_state(session=db.session, source="okta").full_sync_interval_hours is None
    assert client.post("/sync/full-interval", data={"hours": "6"}, csrf=False).status_code == 400


def test_a_next_link_on_another_host_fails_the_run_with_a_clear_message(
    connected: Connected, client: FlaskClient
) -> None:
    """Okta (the sandbox, over HTTP) sends its next-page links on another host, as an org reached
    through a custom domain might: the run fails before the token goes there, nothing is removed,
    and the Sync page says which two hosts differ and what to check."""
    app, org = connected.app, connected.org
    app.config["SYNC_PAGE_SIZE"] = 5
    org.link_origin = "https://acme.okta.com"
    org.clear_request_log()
    run = sync(app, SyncKind.FULL)
    ours = urlsplit(connected.server.origin).netloc
    assert run.status == SyncRunStatus.FAILED and run.error is not None
    assert "acme.okta.com" in run.error and ours in run.error and "custom domain" in run.error
    assert not [r for r in org.request_log() if r.query.get("after")]  # nothing sent to acme.okta.com
    text = visible_text(client.get("/sync/"))
    said = "The last sync failed: Okta's link to the next page of users points to another host,"
    assert f"{said} acme.okta.com, not {ours}" in text
    assert "*.okta.com" in text and "reconnect Okta in Setup" in text
    org.link_origin = None
    assert ok(app, SyncKind.FULL).removed == 0
