"""Factories for synced data (teammates with their Okta record, runs, holds), as a sync would leave it."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col

from webapp.db import utcnow
from webapp.sources.okta.models import OktaConnection
from webapp.sync.models import HoldAction, SyncHold, SyncHoldItem, SyncKind, SyncRun, SyncRunStatus
from webapp.teammates.models import SourceAttribute, SourceRecord, Teammate

_ids = itertools.count(1)
DEPARTMENTS = ("Engineering", "Sales", "Marketing", "Finance", "People", "Support", "Legal", "Design")
TITLES = ("Engineer", "Senior Engineer", "Account Executive", "Designer", "Analyst", "Manager", "Director")


def okta_id(number: int) -> str:
    """An Okta-looking user id (00u + 17 characters)."""
    return f"00u{number:017d}"


def gen_teammate(
    session: Session,
    *,
    name: str = "Ada Lovelace",
    email: str | None = None,
    department: Any = "Engineering",
    title: Any = "Engineer",
    active: bool = True,
    status: str = "ACTIVE",
    removed: bool = False,
    record_active: bool | None = None,
    profile: dict[str, Any] | None = None,
    changed_at: datetime | None = None,
) -> Teammate:
    """A teammate and its Okta record (flushed); `profile` adds or overrides attributes.

    The record is active when the teammate is and it is not removed, unless `record_active` says
    otherwise (a teammate a hold keeps active while Okta says it is gone)."""
    number = next(_ids)
    email = email if email is not None else f"{name.lower().replace(' ', '.')}.{number}@acme.example"
    now = utcnow()
    teammate = Teammate(active=active, email=email, display_name=name, deactivated_at=None if active else now)
    session.add(teammate)
    session.flush()
    assert teammate.id is not None
    first, _, last = name.partition(" ")
    attributes: dict[str, Any] = {
        "login": email,
        "email": email,
        "firstName": first,
        "lastName": last,
        "displayName": name,
        "department": department,
        "title": title,
    }
    attributes = {key: value for key, value in attributes.items() if value is not None}
    attributes.update(profile or {})
    session.add(
        SourceRecord(
            source="okta",
            external_id=okta_id(number),
            teammate_id=teammate.id,
            status=status,
            active=(active and not removed) if record_active is None else record_active,
            profile=attributes,
            email=email,
            display_name=name,
            source_updated_at=changed_at or now - timedelta(days=number % 30),
            removed_at=now if removed else None,
        )
    )
    session.flush()
    return teammate


def gen_many_teammates(session: Session, count: int, *, start: int = 0) -> None:
    """`count` teammates with their records in bulk INSERTs (10,000 in about a second)."""
    now = utcnow()
    rows = []
    for number in range(start, start + count):
        name = f"Person {number:05d}"
        rows.append(
            {
                "active": number % 10 != 0,
                "email": f"person.{number:05d}@acme.example",
                "display_name": name,
                "created_at": now,
                "updated_at": now,
                "deactivated_at": None if number % 10 else now,
            }
        )
    ids = session.execute(insert(Teammate).returning(col(Teammate.id), sort_by_parameter_order=True), rows)
    records = []
    for number, teammate_id in zip(range(start, start + count), ids.scalars().all(), strict=True):
        email = f"person.{number:05d}@acme.example"
        records.append(
            {
                "source": "okta",
                "external_id": okta_id(10**9 + number),
                "teammate_id": teammate_id,
                "status": "ACTIVE" if number % 10 else "DEPROVISIONED",
                "active": number % 10 != 0,
                "profile": {
                    "login": email,
                    "email": email,
                    "displayName": f"Person {number:05d}",
                    "department": DEPARTMENTS[number % len(DEPARTMENTS)],
                    "title": TITLES[number % len(TITLES)],
                    "mobilePhone": f"+1 555 {number:07d}",
                },
                "email": email,
                "display_name": f"Person {number:05d}",
                "source_updated_at": now - timedelta(minutes=number),
                "first_seen_at": now,
                "last_synced_at": now,
                "removed_at": None,
            }
        )
    session.execute(insert(SourceRecord), records)


def gen_attributes(session: Session, *names_and_titles: tuple[str, str]) -> None:
    """Okta schema attributes, in order."""
    for position, (name, title) in enumerate(names_and_titles):
        session.add(SourceAttribute(source="okta", name=name, title=title, position=position))
    session.flush()


def gen_run(session: Session, **fields: Any) -> SyncRun:
    """A finished, successful full run unless `fields` say otherwise (flushed)."""
    now = utcnow()
    values: dict[str, Any] = {
        "source": "okta",
        "kind": SyncKind.FULL,
        "status": SyncRunStatus.SUCCEEDED,
        "started_at": now - timedelta(seconds=30),
        "finished_at": now,
        "duration_seconds": 30.0,
        **fields,
    }
    run = SyncRun(**values)
    session.add(run)
    session.flush()
    return run


def gen_hold(session: Session, run: SyncRun, teammates: list[Teammate], *, threshold: int = 5) -> SyncHold:
    """A pending hold of `run` keeping `teammates` active (the first one removed, the rest deactivated)."""
    hold = SyncHold(
        source="okta",
        sync_run_id=run.id,
        deactivate_count=len(teammates) - 1,
        remove_count=1,
        active_teammates=len(teammates) + 10,
        threshold=threshold,
    )
    session.add(hold)
    session.flush()
    assert hold.id is not None
    for index, teammate in enumerate(teammates):
        assert teammate.id is not None
        action = HoldAction.REMOVE if index == 0 else HoldAction.DEACTIVATE
        session.add(SyncHoldItem(hold_id=hold.id, teammate_id=teammate.id, action=action))
    session.flush()
    return hold


def gen_connection(
    session: Session, *, origin: str = "https://dev-123.okta.com", status: str = "connected"
) -> OktaConnection:
    """The stored Okta connection (no tokens: enough for pages, not for calling Okta)."""
    connection = OktaConnection(okta_origin=origin, client_id="0oa1234567890abcdefg", status=status)
    session.add(connection)
    session.flush()
    return connection
