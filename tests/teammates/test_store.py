"""The teammates store the Teammates page reads, and how a teammate's values are resolved."""

from __future__ import annotations

from flask import Flask

from tests.sync.conftest import Connected
from tests.sync.helpers import ok, okta_users, teammate_of
from webapp.extensions import db
from webapp.sync.models import SyncKind
from webapp.teammates import store
from webapp.teammates.resolve import RecordView, resolve


def test_resolve_prefers_live_records_and_never_blanks() -> None:
    """Active while any record is active and present; the oldest record with a value wins; a value
    no record has keeps the teammate's current one."""
    live = RecordView(active=True, removed=False, email="a@x.example", display_name="A")
    gone = RecordView(active=True, removed=True, email=None, display_name="")
    inactive = RecordView(active=False, removed=False, email="b@x.example", display_name="B")
    assert resolve([gone, live], current_email=None, current_name="") == resolve(
        [live], current_email=None, current_name=""
    )
    assert not resolve([gone, inactive], current_email=None, current_name="").active
    kept = resolve([gone], current_email="old@x.example", current_name="Old Name")
    assert (kept.email, kept.display_name, kept.active) == ("old@x.example", "Old Name", False)
    assert resolve([inactive, live], current_email=None, current_name="").email == "b@x.example"


def test_list_count_search_and_records(connected: Connected) -> None:
    """Filters by active and by a name or email substring; a teammate's records and history."""
    org, app = connected.org, connected.app
    ok(app, SyncKind.FULL)
    users = okta_users(org)
    with app.app_context(), db.session_scope(writer=False) as session:
        assert store.count_teammates(session=session) == len(users)
        active = store.count_teammates(session=session, active=True)
        assert active == sum(u["status"] not in ("DEPROVISIONED", "SUSPENDED") for u in users)
        assert store.count_active_teammates(session=session) == active
        found = store.list_teammates(session=session, search="李")
        assert [t.display_name for t in found] == ["李娜"]
        assert store.count_teammates(session=session, search="LI.NA@") == 1
        page = store.list_teammates(session=session, limit=5, offset=5)
        assert len(page) == 5
        (record,) = store.records_of(session=session, teammate_id=found[0].id or 0)
        assert store.get_record(session=session, source="okta", external_id=record.external_id) == record
        assert [c.kind for c in store.teammate_history(session=session, teammate_id=found[0].id or 0)] == [
            "created"
        ]
        everyone = list(store.iter_teammates_with_records(session=session, batch_size=7))
        assert len(everyone) == len(users) and all(len(records) == 1 for _, records in everyone)
    teammate, _ = teammate_of(app, record.external_id)
    assert teammate.display_name == "李娜"


def test_an_empty_instance(app: Flask) -> None:
    """No teammates: empty lists and zero counts."""
    with app.app_context(), db.session_scope(writer=False) as session:
        assert store.list_teammates(session=session) == []
        assert store.count_teammates(session=session, active=True) == 0
        assert list(store.iter_teammates_with_records(session=session)) == []
