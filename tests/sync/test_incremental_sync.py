"""Incremental syncs: lifecycle changes, typed attribute changes and their history, and the watermark
(one request when nothing changed, same-millisecond stamps, overlap, clock skew)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.okta_flow import management_api_requests
from tests.sync.conftest import Connected
from tests.sync.helpers import changes_of, ok, okta_users, state, teammate_of, user_id
from webapp.sync.models import SyncKind
from webapp.teammates.models import ChangeKind


@pytest.fixture
def synced(connected: Connected) -> Connected:
    """Connected, and a first full sync done."""
    ok(connected.app, SyncKind.FULL)
    return connected


def test_no_change_costs_exactly_one_request(synced: Connected) -> None:
    """Nothing changed in Okta: one filtered listing request, no write to any teammate."""
    org, app = synced.org, synced.app
    before = state(app)
    org.clear_request_log()
    run = ok(app)
    calls = management_api_requests(org)
    assert len(calls) == 1 and calls[0].query["filter"].startswith("lastUpdated gt ")
    assert (run.kind, run.api_requests, run.pages) == ("incremental", 1, 1)
    assert (run.created, run.updated, run.deactivated, run.reactivated, run.removed) == (0, 0, 0, 0, 0)
    assert state(app).watermark == before.watermark


def test_create_and_update_with_typed_custom_attributes(synced: Connected) -> None:
    """A new user becomes a teammate; edits (strings, arrays, ints, numbers, booleans, null) are
    applied and recorded in the history from what to what, with the run."""
    org, app = synced.org, synced.app
    created = org.create_user(
        profile={
            "login": "new.hire@signet-demo.example",
            "email": "new.hire@signet-demo.example",
            "firstName": "New",
            "lastName": "Hire",
            "languages": ["English"],
            "yearsOfService": 0,
        }
    )
    target = user_id(org, 3)
    before = teammate_of(app, target)[1].profile
    org.update_user(
        target,
        profile={
            "title": "Principal Engineer",
            "languages": ["English", "French"],
            "yearsOfService": 7,
            "fte": 0.5,
            "isManager": False,
            "displayName": "Renamed Person",
            "pronouns": None,
        },
    )
    run = ok(app)
    assert (run.created, run.updated) == (1, 1)
    teammate, record = teammate_of(app, created["id"])
    assert teammate.active and teammate.display_name == "New Hire"
    assert record.profile["languages"] == ["English"] and record.profile["yearsOfService"] == 0
    teammate, record = teammate_of(app, target)
    assert teammate.display_name == "Renamed Person"
    assert record.profile["languages"] == ["English", "French"]
    assert record.profile["isManager"] is False and record.profile["fte"] == 0.5
    change = changes_of(app, teammate.id or 0)[-1]
    assert change.kind == ChangeKind.UPDATED and change.sync_run_id == run.id
    assert change.changes["title"] == [before.get("title"), "Principal Engineer"]
    assert change.changes["languages"] == [before.get("languages"), ["English", "French"]]
    assert change.changes["yearsOfService"] == [before.get("yearsOfService"), 7]
    if before.get("isManager") is not False:
        assert change.changes["isManager"] == [before.get("isManager"), False]
    assert "email" not in change.changes


def test_true_and_one_are_different_values(synced: Connected) -> None:
    """A boolean becoming the number 1 (or 1 becoming 1.0) is a change, not equality in Python's eyes."""
    org, app = synced.org, synced.app
    org.add_schema_attribute("flag", title="Flag", type="number")
    target = user_id(org, 4)
    org.update_user(target, profile={"flag": 1})
    ok(app)
    org.update_user(target, profile={"flag": 1.0})
    run = ok(app)
    assert run.updated == 1
    teammate, record = teammate_of(app, target)
    assert changes_of(app, teammate.id or 0)[-1].changes == {"flag": [1, 1.0]}


@pytest.mark.parametrize("status", ["DEPROVISIONED", "SUSPENDED"])
def test_deactivated_and_suspended_users_become_inactive_and_come_back(
    synced: Connected, status: str
) -> None:
    """Deactivating (DEPROVISIONED) or suspending makes the teammate inactive; reactivating or
    unsuspending brings it back, each in one incremental sync."""
    org, app = synced.org, synced.app
    target = user_id(org, 5)
    org.set_status(target, status)
    run = ok(app)
    teammate, record = teammate_of(app, target)
    assert (teammate.active, record.status, record.active) == (False, status, False)
    assert (run.deactivated, run.updated) == (1, 1)
    org.set_status(target, "ACTIVE")
    run = ok(app)
    teammate, _ = teammate_of(app, target)
    assert teammate.active and teammate.deactivated_at is None
    assert run.reactivated == 1
    kinds = [(c.kind, c.status_to) for c in changes_of(app, teammate.id or 0)]
    assert kinds[-3:] == [
        (ChangeKind.UPDATED, status),
        (ChangeKind.DEACTIVATED, status),
        (ChangeKind.REACTIVATED, "ACTIVE"),
    ]


def test_locked_out_and_password_expired_stay_active(synced: Connected) -> None:
    """Statuses of people still at work (locked out, password expired, recovery) keep them active."""
    org, app = synced.org, synced.app
    target = user_id(org, 6)
    org.set_status(target, "LOCKED_OUT")
    ok(app)
    assert teammate_of(app, target)[0].active


def test_deprovisioned_user_deleted_later_is_removed(synced: Connected) -> None:
    """Okta's leaver path: deactivated (inactive at once), then deleted (removed at the next full sync)."""
    org, app = synced.org, synced.app
    target = user_id(org, 7)
    org.deactivate_user(target)
    ok(app)
    org.delete_user(target)
    run = ok(app, SyncKind.FULL)
    teammate, record = teammate_of(app, target)
    assert not teammate.active and record.removed_at is not None and record.status == "DEPROVISIONED"
    assert run.removed == 0  # already inactive: nothing more to retire


def test_same_second_updates_are_not_skipped(synced: Connected) -> None:
    """Two users stamped with the same lastUpdated, synced in different runs: the overlap re-reads
    the first stamp, so the second user is found (and the first is not rewritten)."""
    org, app = synced.org, synced.app
    org.clock.freeze()
    first, second = user_id(org, 8), user_id(org, 9)
    org.update_user(first, profile={"title": "One"})
    ok(app)
    org.update_user(second, profile={"title": "Two"})  # same frozen instant as `first`
    assert org.get_user(first)["lastUpdated"] == org.get_user(second)["lastUpdated"]
    run = ok(app)
    assert teammate_of(app, second)[1].profile["title"] == "Two"
    assert run.updated == 1  # `first` was read again, but unchanged: no write, no history
    org.clock.unfreeze()


def test_watermark_is_the_largest_lastupdated_okta_returned(synced: Connected) -> None:
    """The watermark is Okta's stamp, not the local clock, even when Okta's clock is hours behind
    (or ahead of) Signet's: changes stamped "in the past" or "in the future" are all found."""
    org, app = synced.org, synced.app
    org.clock.advance(-6 * 3600)  # Okta six hours behind this host
    behind = user_id(org, 10)
    org.update_user(behind, profile={"title": "Behind"})
    ok(app)
    assert state(app).watermark == teammate_of(app, behind)[1].source_updated_at
    org.clock.advance(2 * 86400)  # now Okta is far ahead
    ahead = user_id(org, 11)
    org.update_user(ahead, profile={"title": "Ahead"})
    ok(app)
    assert teammate_of(app, ahead)[1].profile["title"] == "Ahead"
    assert state(app).watermark == teammate_of(app, ahead)[1].source_updated_at
    org.clock.advance(-2 * 86400)
    again = user_id(org, 12)
    org.update_user(again, profile={"title": "Back in time"})  # stamped before the watermark
    ok(app)
    # Only a full sync sees a change stamped before the watermark minus the overlap.
    assert teammate_of(app, again)[1].profile.get("title") != "Back in time"
    ok(app, SyncKind.FULL)
    assert teammate_of(app, again)[1].profile["title"] == "Back in time"


def test_incremental_filter_starts_at_watermark_minus_overlap_and_slack(synced: Connected) -> None:
    """The filter asks for users updated after the watermark minus 2 minutes and the slack."""
    org, app = synced.org, synced.app
    current = state(app)
    assert current.watermark is not None
    org.clear_request_log()
    ok(app)
    sent = management_api_requests(org)[0].query["filter"]
    since = current.watermark - timedelta(minutes=2) - timedelta(seconds=current.watermark_slack_seconds)
    expected = since.strftime("%Y-%m-%dT%H:%M:%S.") + f"{since.microsecond // 1000:03d}Z"
    assert sent == f'lastUpdated gt "{expected}"'


def test_a_requested_full_sync_runs_instead_of_the_incremental(synced: Connected) -> None:
    """After `request_full_sync`, the next scheduled sync is a full one."""
    from webapp.extensions import db
    from webapp.sync import store

    app = synced.app
    with app.app_context(), db.session_scope() as session:
        store.request_full_sync(session=session, source="okta")
    assert ok(app).kind == SyncKind.FULL
    assert ok(app).kind == SyncKind.INCREMENTAL
    assert len(okta_users(synced.org)) > 0
