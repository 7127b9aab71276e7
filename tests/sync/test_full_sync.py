"""Full syncs against the sandbox over HTTP: every status, typed profiles, the schema, removals,
pagination and rate limits."""

from __future__ import annotations

from flask import Flask, testing
from sqlmodel import col, select

from okta_sandbox import SandboxServer
from tests.conftest import AuthActions
from tests.okta_flow import management_api_requests
from tests.sync.conftest import Connected, connect
from tests.sync.helpers import all_records, changes_of, ok, okta_users, runs, state, teammate_of, user_id
from webapp.extensions import db
from webapp.sources.okta import store as okta_store
from webapp.sync.models import SyncKind, SyncRunStatus
from webapp.teammates import store as teammates
from webapp.teammates.models import ChangeKind, SourceAttribute

USERS = "/api/v1/users"
SCHEMA = "/api/v1/meta/schemas/user/default"


def test_full_sync_reads_every_user_of_every_status(connected: Connected) -> None:
    """Every Okta user becomes a teammate with one Okta record, DEPROVISIONED and SUSPENDED included
    (inactive); the schema and the users cost one request each."""
    org, app = connected.org, connected.app
    org.clear_request_log()
    run = ok(app, SyncKind.FULL)
    users = okta_users(org)
    assert {u["status"] for u in users} >= {"DEPROVISIONED", "SUSPENDED", "STAGED", "ACTIVE"}
    records = all_records(app)
    assert set(records) == {u["id"] for u in users}
    for user in users:
        teammate, record = records[user["id"]]
        assert record.status == user["status"]
        assert record.profile == user["profile"]
        assert teammate.active == (user["status"] not in ("DEPROVISIONED", "SUSPENDED"))
        assert teammate.email == user["profile"]["email"]
        assert record.source == "okta" and record.removed_at is None
    calls = [(r.path, r.query.get("filter")) for r in management_api_requests(org)]
    assert calls == [(SCHEMA, None), (USERS, 'lastUpdated gt "1970-01-01T00:00:00.000Z"')]
    assert (run.kind, run.status, run.pages, run.api_requests) == ("full", SyncRunStatus.SUCCEEDED, 1, 2)
    assert (run.created, run.updated, run.deactivated, run.removed) == (len(users), 0, 0, 0)
    assert run.users_processed == len(users)
    assert state(app).watermark == max(record.source_updated_at for _, record in records.values())
    with app.app_context(), db.session_scope(writer=False) as session:
        connection = okta_store.get_connection(session=session)
        assert connection is not None and connection.user_count == len(users)


def test_custom_attributes_keep_their_types(connected: Connected) -> None:
    """Arrays, integers, numbers, booleans and nulls are stored as Okta sent them; omitted ones stay
    absent."""
    org, app = connected.org, connected.app
    ok(app, SyncKind.FULL)
    li_na = next(u for u in okta_users(org) if u["profile"].get("displayName") == "李娜")
    _, record = teammate_of(app, li_na["id"])
    assert record.profile["languages"] == li_na["profile"]["languages"]
    assert isinstance(record.profile["yearsOfService"], int) and not isinstance(
        record.profile["yearsOfService"], bool
    )
    assert isinstance(record.profile["fte"], float)
    assert record.profile["isManager"] is True
    assert record.profile["secondEmail"] is None
    # José's hand-written profile sends fte as null; real profiles mostly omit unset attributes,
    # as the seed's not-yet-started teammates do (FACTS §2).
    jose = next(u for u in okta_users(org) if u["profile"]["firstName"] == "José")
    assert "fte" in teammate_of(app, jose["id"])[1].profile
    assert teammate_of(app, jose["id"])[1].profile["fte"] is None
    staged = next(u for u in okta_users(org) if u["status"] == "STAGED")
    assert "fte" not in teammate_of(app, staged["id"])[1].profile


def test_full_sync_stores_the_schema(connected: Connected) -> None:
    """Base attributes in Okta's order, then custom ones, with titles and types; an attribute that
    leaves the schema is kept, marked removed."""
    org, app = connected.org, connected.app
    org.add_schema_attribute("costCentreCode", title="Cost centre code", type="integer")
    ok(app, SyncKind.FULL)
    with app.app_context(), db.session_scope(writer=False) as session:
        attributes = teammates.list_source_attributes(session=session, source="okta")
    names = [a.name for a in attributes]
    assert names[:3] == ["login", "firstName", "lastName"]
    assert names.index("pronouns") > names.index("manager")
    by_name = {a.name: a for a in attributes}
    assert (by_name["title"].title, by_name["title"].custom) == ("Title", False)
    assert (by_name["languages"].type, by_name["languages"].custom) == ("array", True)
    assert (by_name["costCentreCode"].type, by_name["costCentreCode"].title) == (
        "integer",
        "Cost centre code",
    )
    with app.app_context(), db.session_scope(writer=True) as session:
        teammates.save_source_attributes(
            session=session, source="okta", attributes=_directory_attributes(attributes)[:-1]
        )
    with app.app_context(), db.session_scope(writer=False) as session:
        gone = session.exec(select(SourceAttribute).where(SourceAttribute.name == "costCentreCode")).one()
        assert gone.removed_at is not None
        assert "costCentreCode" not in [
            a.name for a in teammates.list_source_attributes(session=session, source="okta")
        ]


def _directory_attributes(rows: list[SourceAttribute]) -> list[object]:
    from webapp.sources.base import DirectoryAttribute

    return [DirectoryAttribute(name=a.name, title=a.title, type=a.type, custom=a.custom) for a in rows]


def test_deleted_users_are_marked_removed_never_deleted(connected: Connected) -> None:
    """A user Okta no longer returns at all is marked removed and made inactive by the next full
    sync; the teammate and its history stay; an incremental sync cannot see deletions and leaves it."""
    org, app = connected.org, connected.app
    ok(app, SyncKind.FULL)
    gone = user_id(org, 2)
    org.delete_user(gone)
    ok(app)  # incremental: a deleted user is simply not listed
    teammate, record = teammate_of(app, gone)
    assert teammate.active and record.removed_at is None
    run = ok(app, SyncKind.FULL)
    teammate, record = teammate_of(app, gone)
    assert record.removed_at is not None and not teammate.active
    assert (run.removed, run.deactivated, run.created, run.updated) == (1, 0, 0, 0)
    assert [c.kind for c in changes_of(app, teammate.id or 0)] == [ChangeKind.CREATED, ChangeKind.REMOVED]
    assert len(all_records(app)) == len(okta_users(org)) + 1


def test_a_second_full_sync_without_changes_changes_nothing(connected: Connected) -> None:
    """Idempotent: the same data twice writes no history and counts no change."""
    app = connected.app
    ok(app, SyncKind.FULL)
    run = ok(app, SyncKind.FULL)
    assert (run.created, run.updated, run.deactivated, run.reactivated, run.removed) == (0, 0, 0, 0, 0)
    with app.app_context(), db.session_scope(writer=False) as session:
        assert len(teammates.changes_in_run(session=session, sync_run_id=run.id or 0)) == 0


def test_first_incremental_sync_runs_as_full(connected: Connected) -> None:
    """With no watermark yet, the scheduled incremental sync reads everyone (a full run)."""
    run = ok(connected.app)
    assert run.kind == SyncKind.FULL and run.created == len(okta_users(connected.org))


def test_pagination_over_1200_users_at_50_requests_a_minute(
    app: Flask, client: testing.FlaskClient, auth: AuthActions, big_sandbox: SandboxServer
) -> None:
    """1,201 users in pages of 25 (49 pages, following Link rel=next) at Okta's 50 requests a minute:
    the sync keeps 20% of the bucket for other apps (waits for the reset instead), never gets a
    429, finishes, and records its waits."""
    app.config["SYNC_PAGE_SIZE"] = 25
    connected = connect(app, client, auth, big_sandbox)
    org = connected.org
    org.clear_request_log()
    run = ok(app, SyncKind.FULL)
    total = org.user_count()
    assert run.pages == 49 and run.users_processed == total == len(all_records(app))
    assert run.api_requests == 50  # the schema, then 49 pages
    log = [r for r in org.request_log() if r.path.startswith("/api/v1/")]
    assert all(r.status == 200 for r in log)
    assert [r.query.get("after") is not None for r in log if r.path == USERS].count(False) == 1
    # 50 a minute minus the 20% reserve: at most 40 users-list calls in any sandbox minute.
    by_minute: dict[str, int] = {}
    for record in log:
        if record.path == USERS:
            minute = record.at.strftime("%Y%m%d%H%M")
            by_minute[minute] = by_minute.get(minute, 0) + 1
    assert max(by_minute.values()) <= 40
    assert len(by_minute) >= 2 and run.rate_limit_waits >= 1 and run.rate_limit_wait_seconds > 0
    assert run.status == SyncRunStatus.SUCCEEDED and runs(app)[-1].waiting_until is None
    with app.app_context(), db.session_scope(writer=False) as session:
        assert teammates.count_teammates(session=session) == total
        assert session.exec(select(SourceAttribute).where(col(SourceAttribute.custom))).first() is not None


def test_schema_refreshed_on_demand(connected: Connected) -> None:
    """`refresh_schema` reads the schema now (one call) and stores a new custom attribute."""
    from webapp.sync.service import refresh_schema

    org, app = connected.org, connected.app
    org.add_schema_attribute("badgeNumber", title="Badge number", type="integer")
    org.clear_request_log()
    with app.app_context():
        stored = refresh_schema(app)
    assert stored is not None and "badgeNumber" in [a.name for a in stored]
    assert [r.path for r in management_api_requests(org)] == [SCHEMA]
    with app.app_context(), db.session_scope(writer=False) as session:
        names = [a.name for a in teammates.list_source_attributes(session=session, source="okta")]
    assert names[-1] == "badgeNumber"


def test_schema_refresh_without_okta_does_nothing(app: Flask) -> None:
    """Nothing connected: None, no error."""
    from webapp.sync.service import refresh_schema

    with app.app_context():
        assert refresh_schema(app) is None
