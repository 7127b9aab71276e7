"""The Sync page: connection and schedule, Sync now with its polling progress, the interval, holds and
history (page and fragment for every region), and the dashboard's sync summary."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests.conftest import AuthActions
from tests.helpers import page_text, visible_text
from tests.sync.conftest import Connected
from tests.teammates.factories import gen_connection, gen_hold, gen_run, gen_teammate
from webapp.audit.models import AuditEvent
from webapp.db import utcnow
from webapp.extensions import db
from webapp.scheduling.lease import SCHEDULER_LEASE
from webapp.scheduling.models import SchedulerLease
from webapp.sources.okta.store import get_connection
from webapp.sync import store
from webapp.sync.models import HoldStatus, SyncHold, SyncKind, SyncRunStatus, SyncTrigger
from webapp.sync.views import format_duration
from webapp.teammates.models import Teammate

REGIONS = {
    "/sync/status": 'id="sync-status"',
    "/sync/progress": 'id="sync-progress"',
    "/sync/holds": 'id="sync-holds"',
    "/sync/history": 'id="sync-history"',
}
POLLING = 'hx-trigger="every 1s"'


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[tuple[SyncKind, SyncTrigger]]:
    """Background syncs the page asked for (none really runs: the stored connection has no tokens)."""
    calls: list[tuple[SyncKind, SyncTrigger]] = []

    def start(app: Flask, *, kind: SyncKind, trigger: SyncTrigger = SyncTrigger.MANUAL) -> bool:
        calls.append((kind, trigger))
        return True

    monkeypatch.setattr("jobs.sync.start_sync_in_background", start)
    return calls


@pytest.fixture
def connected_page(app: Flask, signed_in: AuthActions) -> Flask:
    """Signed in, with Okta connected (a stored connection; nothing calls Okta)."""
    with app.app_context(), db.session_scope() as session:
        gen_connection(session)
    return app


def _add(app: Flask, make: Any) -> Any:
    with app.app_context(), db.session_scope() as session:
        return make(session)


def test_not_connected_shows_the_empty_state(client: FlaskClient, signed_in: AuthActions) -> None:
    """Before Okta is connected: what Sync does, a link to Setup, no Sync now, no history."""
    response = client.get("/sync/")
    assert response.status_code == 200
    text = visible_text(response)
    assert "Okta isn't connected" in text and "Connect Okta to start syncing." in text
    assert 'href="/setup/okta"' in page_text(response)
    assert "Sync now" not in text
    assert "No sync has run yet." in text


def test_needs_reconnect_says_syncing_is_paused(
    app: Flask, client: FlaskClient, signed_in: AuthActions
) -> None:
    """A connection that needs reconnecting: the page says syncing is paused and links to reconnect."""
    _add(app, lambda session: gen_connection(session, status="needs_reconnect"))
    text = visible_text(client.get("/sync/"))
    assert "Syncing is paused until Okta is reconnected." in text and "Reconnect Okta" in text


def test_connected_never_synced(connected_page: Flask, client: FlaskClient) -> None:
    """Connected, no run yet: Sync now and Full sync buttons, 'never', and no schedule without a leader."""
    response = client.get("/sync/")
    text = visible_text(response)
    assert "Connected to dev-123.okta.com" in text
    assert "Last sync Never" in text and "No sync has run yet. The first sync reads every user" in text
    assert "Not scheduled: no Signet server is running its background jobs" in text
    body = page_text(response)
    assert f'name="kind" value="{SyncKind.INCREMENTAL}" class="primary">Sync now' in body
    assert f'name="kind" value="{SyncKind.FULL}">Full sync' in body
    assert 'name="csrf_token"' in body
    assert POLLING not in body


def test_next_sync_comes_from_the_scheduler_plan(connected_page: Flask, client: FlaskClient) -> None:
    """With a server leading the jobs, the next incremental and nightly full sync are shown."""
    now = utcnow()
    _add(
        connected_page,
        lambda session: session.add(
            SchedulerLease(name=SCHEDULER_LEASE, owner="host:1:x", expires_at=now + timedelta(seconds=30))
        ),
    )
    with connected_page.app_context(), db.session_scope() as session:
        store.set_poll_interval(session=session, source="okta", minutes=5)
    text = visible_text(client.get("/sync/"))
    match = re.search(r"Next sync (\d{4}-\d\d-\d\d \d\d:(\d\d) UTC) \(every 5 min\)", text)
    assert match and int(match.group(2)) % 5 == 0, text
    assert "Next full sync" in text and "(every 1 h)" in text  # hourly by default (issue 16; was nightly)


@pytest.mark.parametrize(("path", "region"), REGIONS.items())
def test_every_region_is_a_page_and_a_fragment(
    connected_page: Flask, client: FlaskClient, htmx_client: FlaskClient, path: str, region: str
) -> None:
    """Each region's URL is the whole page without htmx and only that region with it; Vary either way."""
    _add(connected_page, lambda session: gen_run(session))
    page = client.get(path)
    fragment = htmx_client.get(path)
    assert page.status_code == fragment.status_code == 200
    assert "<html" in page_text(page) and all(marker in page_text(page) for marker in REGIONS.values())
    assert "<html" not in page_text(fragment) and region in page_text(fragment)
    assert [marker for marker in REGIONS.values() if marker in page_text(fragment)] == [region]
    for response in (page, fragment):
        assert "HX-Request" in response.headers["Vary"]


def test_progress_polls_while_a_run_is_in_progress(connected_page: Flask, htmx_client: FlaskClient) -> None:
    """A running full sync: a labelled progress bar against the last count, pages, users and requests."""
    with connected_page.app_context(), db.session_scope() as session:
        connection = get_connection(session=session)
        assert connection is not None
        connection.user_count = 400
        run = gen_run(
            session,
            status=SyncRunStatus.RUNNING,
            finished_at=None,
            pages=2,
            users_processed=200,
            api_requests=3,
        )
        run_id = run.id
    fragment = page_text(htmx_client.get("/sync/progress"))
    assert POLLING in fragment and f'hx-get="/sync/progress?after={run_id - 1}' in fragment
    assert '<label class="progress-label" for="sync-progress-bar">Users processed</label>' in fragment
    assert re.search(
        r'<progress id="sync-progress-bar" class="sync-progress" max="400" value="200">', fragment
    )
    text = " ".join(re.sub(r"<[^>]+>", " ", fragment).split())
    assert "Full sync in progress" in text
    assert "Pages 2 Users processed 200 of about 400 Okta API requests 3" in text


def test_progress_shows_the_rate_limit_wait(connected_page: Flask, htmx_client: FlaskClient) -> None:
    """While Okta's rate limit makes it wait, the region says until when (HH:MM:SS), with no total."""
    until = utcnow() + timedelta(seconds=42)
    _add(
        connected_page,
        lambda session: gen_run(
            session,
            kind=SyncKind.INCREMENTAL,
            status=SyncRunStatus.WAITING,
            finished_at=None,
            waiting_until=until,
        ),
    )
    fragment = page_text(htmx_client.get("/sync/progress"))
    assert f"Waiting for Okta's rate limit until {until.strftime('%H:%M:%S')} UTC" in " ".join(
        re.sub(r"<[^>]+>", " ", fragment).split()
    )
    assert '<progress id="sync-progress-bar" class="sync-progress">' in fragment  # indeterminate
    assert POLLING in fragment


def test_progress_stops_polling_when_the_run_ends(connected_page: Flask, htmx_client: FlaskClient) -> None:
    """The poll that finds its run finished shows the outcome without a trigger and tells the page."""
    run = _add(connected_page, lambda session: gen_run(session, created=26, updated=1))
    response = htmx_client.get(f"/sync/progress?after={run.id - 1}&requested={int(time.time())}")
    fragment = page_text(response)
    assert POLLING not in fragment and "hx-get" not in fragment.split(">", 1)[0]
    assert response.headers["HX-Trigger"] == "syncFinished"
    assert "Full sync finished in 30 s: 26 created, 1 updated" in " ".join(
        re.sub(r"<[^>]+>", " ", fragment).split()
    )


def test_progress_shows_a_failure(connected_page: Flask, htmx_client: FlaskClient) -> None:
    """A failed run's error is shown where the progress was."""
    run = _add(
        connected_page,
        lambda session: gen_run(
            session, status=SyncRunStatus.FAILED, error="Okta answered 500 <b>three</b> times."
        ),
    )
    body = htmx_client.get(f"/sync/progress?after={run.id - 1}").get_data(as_text=True)
    assert "Full sync failed after 30 s: Okta answered 500 &lt;b&gt;three&lt;/b&gt; times." in " ".join(
        body.split()
    )


def test_progress_waits_for_a_requested_sync_then_gives_up(
    connected_page: Flask, htmx_client: FlaskClient
) -> None:
    """Asked for but not begun: 'starting' (polling) for a while, then a message without polling."""
    starting = page_text(htmx_client.get(f"/sync/progress?after=0&requested={int(time.time())}"))
    assert "Sync starting…" in starting and POLLING in starting
    assert '<progress id="sync-progress-bar" class="sync-progress">' in starting
    stale = htmx_client.get(f"/sync/progress?after=0&requested={int(time.time()) - 600}")
    assert "The sync has not started yet." in page_text(stale) and POLLING not in page_text(stale)
    assert stale.headers["HX-Trigger"] == "syncFinished"


@pytest.mark.parametrize(
    "query", ["after=abc", "after=-1", "requested=%E2%88%9E", "after=99999999999999999999"]
)
def test_progress_ignores_malformed_parameters(
    connected_page: Flask, htmx_client: FlaskClient, query: str
) -> None:
    """Nonsense in the poll's parameters never errors."""
    assert htmx_client.get(f"/sync/progress?{query}").status_code == 200


def test_sync_now_starts_an_incremental_sync_and_polls(
    connected_page: Flask, htmx_client: FlaskClient, started: list[Any]
) -> None:
    """htmx: Sync now starts a manual incremental sync and swaps in the polling progress region."""
    response = htmx_client.post("/sync/run", data={"kind": "incremental"})
    assert response.status_code == 200
    assert started == [(SyncKind.INCREMENTAL, SyncTrigger.MANUAL)]
    fragment = page_text(response)
    assert fragment.lstrip().startswith('<div id="sync-progress"') and POLLING in fragment
    assert "Sync starting…" in fragment
    with connected_page.app_context():
        actions = [event.action for event in db.session.exec(select(AuditEvent)).all()]
    assert "sync.started" in actions


def test_full_sync_without_javascript_redirects_with_a_notice(
    connected_page: Flask, client: FlaskClient, started: list[Any]
) -> None:
    """A plain form post starts a full sync and comes back to the Sync page (303), which says so."""
    response = client.post("/sync/run", data={"kind": "full"})
    assert response.status_code == 303 and response.headers["Location"] == "/sync/"
    assert started == [(SyncKind.FULL, SyncTrigger.MANUAL)]
    assert "Full sync started." in visible_text(client.get("/sync/"))


def test_sync_now_while_a_run_is_in_progress_shows_it(
    connected_page: Flask, htmx_client: FlaskClient, started: list[Any]
) -> None:
    """A second Sync now starts nothing; the running sync's progress is shown."""
    _add(connected_page, lambda session: gen_run(session, status=SyncRunStatus.RUNNING, finished_at=None))
    fragment = page_text(htmx_client.post("/sync/run", data={"kind": "full"}))
    assert started == []
    assert "Full sync in progress" in fragment and POLLING in fragment


def test_sync_now_needs_a_connection(
    client: FlaskClient, htmx_client: FlaskClient, signed_in: AuthActions, started: list[Any]
) -> None:
    """Not connected: 409 with a message (in #flash for htmx), nothing started."""
    assert client.post("/sync/run").status_code == 409
    response = htmx_client.post("/sync/run")
    assert response.status_code == 409 and response.headers["HX-Retarget"] == "#flash"
    assert "Connect Okta in Setup before syncing." in page_text(response)
    assert started == []


def test_sync_now_needs_the_csrf_token(
    connected_page: Flask, client: FlaskClient, started: list[Any]
) -> None:
    """A post without the CSRF token is refused and starts nothing."""
    assert client.post("/sync/run", csrf=False).status_code == 400
    assert started == []


def test_interval_is_saved(connected_page: Flask, client: FlaskClient, htmx_client: FlaskClient) -> None:
    """A valid interval is stored, audited and shown; htmx is told the schedule changed."""
    response = htmx_client.post("/sync/interval", data={"minutes": " 15 "})
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "syncScheduleChanged"
    fragment = page_text(response)
    assert fragment.lstrip().startswith('<section id="sync-interval"')
    assert "Saved: Signet now syncs every 15 min." in fragment and 'value="15"' in fragment
    with connected_page.app_context():
        assert store.get_state(session=db.session, source="okta").poll_interval_minutes == 15
        assert "sync.interval_changed" in [e.action for e in db.session.exec(select(AuditEvent)).all()]
    plain = client.post("/sync/interval", data={"minutes": "60"})
    assert plain.status_code == 303
    assert "Signet now syncs every 60 min." in visible_text(client.get("/sync/"))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Enter a whole number of minutes, from 1 to 60."),
        ("abc", "Enter a whole number of minutes, from 1 to 60."),
        ("1.5", "Enter a whole number of minutes, from 1 to 60."),
        ("-5", "Enter a whole number of minutes, from 1 to 60."),
        ("9" * 40, "Enter a whole number of minutes, from 1 to 60."),
        ("0", "Choose from 1 to 60 minutes."),
        ("61", "Choose from 1 to 60 minutes."),
        ("' OR 1=1 --", "Enter a whole number of minutes, from 1 to 60."),
    ],
)
def test_interval_is_validated(
    connected_page: Flask, client: FlaskClient, htmx_client: FlaskClient, value: str, message: str
) -> None:
    """Out of range or not a whole number: 422, the form again with the error tied to the input."""
    for sender in (htmx_client, client):
        response = sender.post("/sync/interval", data={"minutes": value})
        assert response.status_code == 422
        body = page_text(response)
        assert message in body
        assert 'aria-invalid="true" aria-describedby="sync-interval-error"' in body
    assert "<html" in page_text(client.post("/sync/interval", data={"minutes": value}))
    with connected_page.app_context():
        assert store.get_state(session=db.session, source="okta").poll_interval_minutes is None


def _hold(app: Flask) -> tuple[int, list[int]]:
    """A pending hold keeping three teammates whose Okta records say they are gone."""

    def make(session: Any) -> tuple[int, list[int]]:
        people = [
            gen_teammate(session, name=f"Held Person {n}", email=f"held{n}@acme.example", record_active=False)
            for n in range(3)
        ]
        hold = gen_hold(session, gen_run(session, status=SyncRunStatus.HELD, held=3), people)
        assert hold.id is not None
        return hold.id, [person.id for person in people if person.id is not None]

    result: tuple[int, list[int]] = _add(app, make)
    return result


def test_held_teammates_are_listed_with_what_would_happen(connected_page: Flask, client: FlaskClient) -> None:
    """A pending hold names each teammate, their email and what confirming would do."""
    _hold(connected_page)
    text = visible_text(client.get("/sync/"))
    assert "Waiting for you: 3 teammates would be made inactive" in text
    assert "Held Person 0 held0@acme.example Made inactive: no longer in Okta" in text
    assert "Held Person 1 held1@acme.example Made inactive: deactivated or suspended in Okta" in text
    assert "Confirm: make them inactive" in text and "Dismiss: keep them active" in text


def test_confirming_a_hold_deactivates_the_teammates(connected_page: Flask, htmx_client: FlaskClient) -> None:
    """Confirm applies the hold; the holds region is swapped and the status region told to refresh."""
    hold_id, people = _hold(connected_page)
    response = htmx_client.post(f"/sync/holds/{hold_id}/confirm")
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "syncHoldsChanged"
    assert "3 teammate(s) made inactive" in page_text(response)
    assert "Waiting for you" not in page_text(response)
    with connected_page.app_context():
        assert [db.session.get(Teammate, person).active for person in people] == [False, False, False]
        assert db.session.get(SyncHold, hold_id).status == HoldStatus.CONFIRMED
    again = htmx_client.post(f"/sync/holds/{hold_id}/confirm")
    assert again.status_code == 409 and "already confirmed" in page_text(again)


def test_dismissing_a_hold_keeps_the_teammates_without_javascript(
    connected_page: Flask, client: FlaskClient
) -> None:
    """Dismiss (plain form): the teammates stay active, 303 back to the Sync page with a notice."""
    hold_id, people = _hold(connected_page)
    response = client.post(f"/sync/holds/{hold_id}/dismiss")
    assert response.status_code == 303 and response.headers["Location"] == "/sync/"
    assert "the teammates stay active" in visible_text(client.get("/sync/"))
    with connected_page.app_context():
        assert all(db.session.get(Teammate, person).active for person in people)
        assert db.session.get(SyncHold, hold_id).status == HoldStatus.DISMISSED


@pytest.mark.parametrize(
    ("path", "status"), [("/sync/holds/999/confirm", 409), ("/sync/holds/abc/dismiss", 404)]
)
def test_unknown_holds(connected_page: Flask, client: FlaskClient, path: str, status: int) -> None:
    """An unknown hold is a 409 with a message; a malformed id a 404."""
    assert client.post(path).status_code == status


def test_history_is_paginated_newest_first(
    connected_page: Flask, client: FlaskClient, htmx_client: FlaskClient
) -> None:
    """25 runs: the newest 20 first, the other 5 on page 2 (a fragment for htmx, a page without)."""
    now = utcnow()

    def make(session: Any) -> None:
        for n in range(25):
            gen_run(session, started_at=now - timedelta(minutes=25 - n), finished_at=now, pages=n)

    _add(connected_page, make)
    first = client.get("/sync/").get_data(as_text=True)
    assert len(re.findall(r'<tr id="run-\d+">', first)) == 20
    assert first.index('<tr id="run-25">') < first.index('<tr id="run-24">')
    assert 'href="/sync/?page=2" hx-get="/sync/history?page=2"' in first
    second = htmx_client.get("/sync/history?page=2").get_data(as_text=True)
    assert "<html" not in second and len(re.findall(r'<tr id="run-\d+">', second)) == 5
    assert '<tr id="run-1">' in second
    assert len(re.findall(r'<tr id="run-\d+">', client.get("/sync/?page=2").get_data(as_text=True))) == 5


def test_history_row_shows_every_count(connected_page: Flask, client: FlaskClient) -> None:
    """A run's kind, trigger, duration, pages, requests, changes, waits, outcome and error."""
    _add(
        connected_page,
        lambda session: gen_run(
            session,
            kind=SyncKind.INCREMENTAL,
            trigger=SyncTrigger.MANUAL,
            duration_seconds=185.0,
            pages=7,
            api_requests=9,
            created=1,
            updated=2,
            deactivated=3,
            reactivated=4,
            removed=5,
            held=0,
            rate_limit_waits=2,
            rate_limit_wait_seconds=61.0,
            status=SyncRunStatus.FAILED,
            error="Okta: the token was revoked.",
        ),
    )
    row = client.get("/sync/").get_data(as_text=True).split('<tr id="run-1">', 1)[1].split("</tr>", 1)[0]
    cells = [
        " ".join(re.sub(r"<[^>]+>", " ", cell).split())
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]
    counts = ["7", "9", "1", "2", "3", "4", "5", "0", "2 (1 min 01 s)"]
    assert cells[1:] == [
        "Incremental",
        "Sync now",
        "3 min 05 s",
        *counts,
        "Failed",
        "Okta: the token was revoked.",
    ]


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(None, "—"), (0.42, "0.4 s"), (12.4, "12 s"), (185, "3 min 05 s"), (3725, "1 h 02 min")],
)
def test_format_duration(seconds: float | None, shown: str) -> None:
    """Durations read naturally at every scale."""
    assert format_duration(seconds) == shown


def test_dashboard_summarises_syncing(connected_page: Flask, client: FlaskClient) -> None:
    """The dashboard counts teammates and shows the last sync and its outcome, linking to Sync."""

    def make(session: Any) -> None:
        gen_teammate(session, name="A Person")
        gen_teammate(session, name="B Person", active=False)
        gen_run(session)

    _add(connected_page, make)
    response = client.get("/")
    text = visible_text(response)
    assert "Teammates synced 2 (1 active)" in text and "Succeeded" in text
    assert "The last sync failed" not in text and "A sync is waiting for you" not in text
    assert 'href="/sync/"' in page_text(response)


def test_dashboard_warns_when_syncing_fails_or_is_held(connected_page: Flask, client: FlaskClient) -> None:
    """A failed last run and a pending hold each put a warning linking to the Sync page."""
    _hold(connected_page)
    _add(connected_page, lambda session: gen_run(session, status=SyncRunStatus.FAILED, error="Okta said no."))
    text = visible_text(client.get("/"))
    assert "The last sync failed: Okta said no. See the Sync page" in text
    assert "A sync is waiting for you" in text and "Review it on the Sync page" in text


def test_sync_now_against_the_sandbox(
    client: FlaskClient, htmx_client: FlaskClient, connected: Connected
) -> None:
    """A real Sync now (full) against the sandbox: the progress region ends with the outcome."""
    from jobs.sync import background_sync_thread

    # Okta answers the first listing slowly, so the run is still going when the page is drawn
    # (26 users otherwise sync before the response renders, and the page shows the outcome).
    connected.org.inject_fault("latency", latency_seconds=2.0, path_prefix="/api/v1/users")
    response = htmx_client.post("/sync/run", data={"kind": "full"})
    assert POLLING in page_text(response)
    poll = re.search(r'hx-get="(/sync/progress\?[^"]+)"', page_text(response))
    assert poll
    thread = background_sync_thread()
    assert thread is not None
    thread.join(timeout=60)
    done = htmx_client.get(poll.group(1))
    assert done.headers["HX-Trigger"] == "syncFinished"
    text = " ".join(re.sub(r"<[^>]+>", " ", page_text(done)).split())
    assert "Full sync finished in" in text and "26 created" in text
    assert "Sync now" in visible_text(client.get("/sync/history"))
    assert "Teammates synced 26 (" in visible_text(client.get("/"))
