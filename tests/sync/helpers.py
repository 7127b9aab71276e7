"""Small helpers for sync tests: run a sync, read teammates and records back."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlmodel import col, select

from webapp.extensions import db
from webapp.sync import store
from webapp.sync.models import SyncKind, SyncRun, SyncState
from webapp.sync.service import SyncOutcome, run_sync
from webapp.teammates.models import SourceRecord, Teammate, TeammateChange


def sync(app: Flask, kind: SyncKind = SyncKind.INCREMENTAL, **kwargs: Any) -> SyncRun:
    """Run one sync in this thread and return its run (asserting one ran)."""
    outcome = run_outcome(app, kind, **kwargs)
    assert outcome.run is not None, outcome.skipped
    return outcome.run


def run_outcome(app: Flask, kind: SyncKind = SyncKind.INCREMENTAL, **kwargs: Any) -> SyncOutcome:
    """Run one sync in this thread and return its outcome."""
    with app.app_context():
        return run_sync(app, kind=kind, **kwargs)


def ok(app: Flask, kind: SyncKind = SyncKind.INCREMENTAL, **kwargs: Any) -> SyncRun:
    """Run one sync and assert it did not fail."""
    run = sync(app, kind, **kwargs)
    assert run.error is None, run.error
    return run


def teammate_of(app: Flask, external_id: str) -> tuple[Teammate, SourceRecord]:
    """The teammate and Okta record of Okta user `external_id`."""
    with app.app_context(), db.session_scope(writer=False) as session:
        record = session.exec(select(SourceRecord).where(SourceRecord.external_id == external_id)).one()
        teammate = session.get(Teammate, record.teammate_id)
        assert teammate is not None
        return teammate, record


def all_records(app: Flask) -> dict[str, tuple[Teammate, SourceRecord]]:
    """Every Okta record with its teammate, by external id."""
    with app.app_context(), db.session_scope(writer=False) as session:
        rows = session.exec(
            select(SourceRecord, Teammate).join(Teammate, col(Teammate.id) == col(SourceRecord.teammate_id))
        ).all()
        return {record.external_id: (teammate, record) for record, teammate in rows}


def changes_of(app: Flask, teammate_id: int) -> list[TeammateChange]:
    """The teammate's history, oldest first."""
    with app.app_context(), db.session_scope(writer=False) as session:
        return list(
            session.exec(
                select(TeammateChange)
                .where(TeammateChange.teammate_id == teammate_id)
                .order_by(col(TeammateChange.id))
            ).all()
        )


def state(app: Flask) -> SyncState:
    """The Okta sync state."""
    with app.app_context(), db.session_scope(writer=False) as session:
        return store.get_state(session=session, source="okta")


def runs(app: Flask) -> list[SyncRun]:
    """Every run, oldest first."""
    with app.app_context(), db.session_scope(writer=False) as session:
        return list(reversed(store.latest_runs(session=session, limit=1000)))


def okta_users(org: Any) -> list[dict[str, Any]]:
    """Every sandbox user of every status."""
    users: list[dict[str, Any]] = org.list_users(include_deprovisioned=True)
    return users


def user_id(org: Any, index: int, *, status: str = "ACTIVE") -> str:
    """The id of the `index`-th sandbox user with `status` (the sandbox admin excluded)."""
    ids = [
        u["id"] for u in okta_users(org) if u["status"] == status and u["profile"]["login"] != org.admin_login
    ]
    return str(ids[index])


def assert_in_step_with_okta(app: Flask, org: Any) -> None:
    """Every Okta user has its record, with Okta's profile and status, and the teammate's active flag."""
    records = all_records(app)
    users = okta_users(org)
    assert set(records) == {u["id"] for u in users}
    for user in users:
        teammate, record = records[user["id"]]
        assert record.profile == user["profile"] and record.status == user["status"]
        assert teammate.active == (user["status"] not in ("DEPROVISIONED", "SUSPENDED"))
