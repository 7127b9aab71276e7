"""The mass-deactivation hold: too many deactivations/removals at once wait for an admin."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.sync.conftest import Connected
from tests.sync.helpers import changes_of, ok, teammate_of, user_id
from webapp.extensions import db
from webapp.sync import store
from webapp.sync.holds import HoldError, confirm_hold, dismiss_hold, hold_threshold
from webapp.sync.models import HoldAction, HoldStatus, SyncKind, SyncRunStatus
from webapp.teammates.models import ChangeKind


@pytest.fixture
def synced(connected: Connected) -> Connected:
    """Connected, and a first full sync done (23 active teammates: the threshold is 5)."""
    ok(connected.app, SyncKind.FULL)
    return connected


def test_threshold_is_a_share_of_active_teammates_and_at_least_the_minimum() -> None:
    """20% of the active teammates, never fewer than 5."""
    assert hold_threshold(23, fraction=0.2, minimum=5) == 5
    assert hold_threshold(100, fraction=0.2, minimum=5) == 20
    assert hold_threshold(0, fraction=0.2, minimum=5) == 5


def _deactivate(org: object, count: int) -> list[str]:
    ids = [user_id(org, index) for index in range(count)]
    for external_id in ids:
        org.deactivate_user(external_id)  # type: ignore[attr-defined]
    return ids


def test_up_to_the_threshold_applies_at_once(synced: Connected) -> None:
    """Five deactivations (the threshold) are applied without asking."""
    org, app = synced.org, synced.app
    ids = _deactivate(org, 5)
    run = ok(app)
    assert (run.status, run.deactivated, run.held) == (SyncRunStatus.SUCCEEDED, 5, 0)
    assert not any(teammate_of(app, external_id)[0].active for external_id in ids)


def test_more_than_the_threshold_is_held_and_everything_else_applied(synced: Connected) -> None:
    """Eight deactivations are held (nobody deactivated), while an edit in the same run is applied,
    and so is a deletion: the full sync looked the missing user up by id and Okta confirmed it gone,
    so no hold is needed for it (issue 16). The hold lists the eight; Confirm applies them."""
    org, app = synced.org, synced.app
    ids = _deactivate(org, 8)
    deleted = user_id(org, 0)
    org.delete_user(deleted)
    edited = user_id(org, 1)
    org.update_user(edited, profile={"title": "Still applied"})
    run = ok(app, SyncKind.FULL)
    assert (run.status, run.deactivated, run.removed, run.held) == (SyncRunStatus.HELD, 0, 1, 8)
    assert all(teammate_of(app, external_id)[0].active for external_id in ids)
    assert not teammate_of(app, deleted)[0].active
    assert teammate_of(app, edited)[1].profile["title"] == "Still applied"
    with app.app_context(), db.session_scope(writer=False) as session:
        (hold,) = store.pending_holds(session=session)
        assert (hold.deactivate_count, hold.remove_count, hold.threshold, hold.sync_run_id) == (
            8,
            0,
            5,
            run.id,
        )
        items = store.hold_items(session=session, hold_id=hold.id or 0)
        assert store.count_hold_items(session=session, hold_id=hold.id or 0) == 8
        assert {item.action for item, _ in items} == {HoldAction.DEACTIVATE}
    again = ok(app)  # a later run does not hold (or apply) them again
    assert (again.status, again.held, again.deactivated) == (SyncRunStatus.SUCCEEDED, 0, 0)
    org.reactivate_user(ids[0])  # one came back meanwhile: confirming leaves it active
    ok(app)
    with app.app_context(), db.session_scope() as session:
        confirmed = confirm_hold(session=session, hold_id=hold.id or 0, admin_id=None)
        assert confirmed.status == HoldStatus.CONFIRMED and confirmed.applied_count == 7
    assert teammate_of(app, ids[0])[0].active
    assert not any(teammate_of(app, external_id)[0].active for external_id in [*ids[1:], deleted])
    teammate = teammate_of(app, deleted)[0]
    assert changes_of(app, teammate.id or 0)[-1].kind == ChangeKind.REMOVED
    with app.app_context(), db.session_scope() as session, pytest.raises(HoldError):
        confirm_hold(session=session, hold_id=hold.id or 0, admin_id=None)


def test_a_dismissed_hold_keeps_teammates_until_okta_changes_them_again(synced: Connected) -> None:
    """Dismiss keeps everyone active; later runs leave them so; a later change to one of them in
    Okta makes it due again."""
    org, app = synced.org, synced.app
    ids = _deactivate(org, 7)
    assert ok(app).status == SyncRunStatus.HELD
    with app.app_context(), db.session_scope() as session:
        (hold,) = store.pending_holds(session=session)
        dismissed = dismiss_hold(session=session, hold_id=hold.id or 0, admin_id=None)
        assert dismissed.status == HoldStatus.DISMISSED
    assert ok(app).deactivated == 0 and ok(app, SyncKind.FULL).held == 0
    assert all(teammate_of(app, external_id)[0].active for external_id in ids)
    org.update_user(ids[0], profile={"title": "Changed after dismissal"})
    run = ok(app)
    assert run.deactivated == 1
    assert not teammate_of(app, ids[0])[0].active and teammate_of(app, ids[1])[0].active


def test_old_runs_that_changed_nothing_are_pruned(app: Flask) -> None:
    """Runs older than 30 days beyond the newest 200 go if they changed nothing; others stay."""
    from datetime import timedelta

    from webapp.db import utcnow
    from webapp.sync.models import SyncRun

    old = utcnow() - timedelta(days=40)
    with app.app_context(), db.session_scope() as session:
        for index in range(210):
            session.add(SyncRun(source="okta", kind="incremental", started_at=old, updated=int(index == 0)))
        session.add(SyncRun(source="okta", kind="incremental", started_at=old, held=3))
        session.flush()
        assert store.prune_runs(session=session) == 10  # 11 beyond the newest 200, one changed something
    with app.app_context(), db.session_scope(writer=False) as session:
        assert len(store.latest_runs(session=session, limit=1000)) == 201
