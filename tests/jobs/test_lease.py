"""The leader lease: taken when free or expired, renewed by its holder, released, and never held by
two processes at once (SQLite and, with TEST_DATABASE_URL, PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import update
from sqlmodel import col

from webapp.db import utcnow
from webapp.extensions import db
from webapp.scheduling import store
from webapp.scheduling.lease import LeaderLease
from webapp.scheduling.models import SchedulerLease

NAME = "scheduler"
TTL = timedelta(seconds=30)
T0 = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)


def _claim(app: Flask, owner: str, now: datetime, ttl: timedelta = TTL) -> bool:
    with app.app_context(), db.session_scope() as session:
        return store.claim_lease(session=session, name=NAME, owner=owner, now=now, ttl=ttl)


def _lease(app: Flask) -> SchedulerLease:
    with app.app_context(), db.session_scope(writer=False) as session:
        lease = store.get_lease(session=session, name=NAME)
    assert lease is not None
    return lease


def test_a_free_lease_is_taken(app: Flask) -> None:
    """The first claim creates the row: held by its owner until now + ttl."""
    assert _claim(app, "a", T0)
    lease = _lease(app)
    assert (lease.owner, lease.acquired_at, lease.renewed_at, lease.expires_at) == ("a", T0, T0, T0 + TTL)


def test_a_live_lease_is_refused_to_others(app: Flask) -> None:
    """Until it expires, nobody else gets the lease, and the row is left as it was."""
    _claim(app, "a", T0)
    assert not _claim(app, "b", T0 + TTL - timedelta(microseconds=1))
    assert _lease(app).owner == "a"
    assert _lease(app).expires_at == T0 + TTL


def test_the_holder_renews_and_keeps_its_tenure(app: Flask) -> None:
    """A renewal moves the expiry on and keeps the time the holder first took it."""
    _claim(app, "a", T0)
    assert _claim(app, "a", T0 + timedelta(seconds=10))
    lease = _lease(app)
    assert (lease.acquired_at, lease.renewed_at) == (T0, T0 + timedelta(seconds=10))
    assert lease.expires_at == T0 + timedelta(seconds=10) + TTL


def test_an_expired_lease_is_taken_over(app: Flask) -> None:
    """Once expired (its holder died), the next claimant takes it and the old holder can't renew."""
    _claim(app, "a", T0)
    assert _claim(app, "b", T0 + TTL)
    lease = _lease(app)
    assert (lease.owner, lease.acquired_at) == ("b", T0 + TTL)
    assert not _claim(app, "a", T0 + TTL + timedelta(seconds=1))


def test_release_frees_the_lease_at_once(app: Flask) -> None:
    """Only the holder can release; after that anyone takes it without waiting for the expiry."""
    _claim(app, "a", T0)
    with app.app_context(), db.session_scope() as session:
        assert not store.release_lease(session=session, name=NAME, owner="b", now=T0 + timedelta(seconds=1))
        assert store.release_lease(session=session, name=NAME, owner="a", now=T0 + timedelta(seconds=1))
    assert _claim(app, "b", T0 + timedelta(seconds=1))


def _race(app: Flask, now: datetime, claimants: int) -> list[str]:
    """`claimants` threads claim at the same instant; the owners that won."""
    barrier = threading.Barrier(claimants)
    winners: list[str] = []
    errors: list[BaseException] = []

    def claim(owner: str) -> None:
        try:
            barrier.wait()
            if _claim(app, owner, now):
                winners.append(owner)
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=claim, args=(f"owner-{i}-{now}",)) for i in range(claimants)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return winners


def test_concurrent_claims_have_one_winner(app: Flask) -> None:
    """Eight processes' worth of claims at the same instant, on a missing row and then on an expired
    one: exactly one wins each time (conditional UPDATE / INSERT ... ON CONFLICT DO NOTHING)."""
    for now in (T0, T0 + TTL):
        winners = _race(app, now, 8)
        assert len(winners) == 1
        assert _lease(app).owner == winners[0]


def test_database_clock_is_timezone_aware_utc(app: Flask) -> None:
    """Lease times come from the database's clock (PostgreSQL) or this host's (SQLite), in UTC."""
    with app.app_context(), db.session_scope(writer=False) as session:
        now = store.database_now(session=session)
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert abs(now - utcnow()) < timedelta(minutes=1)


def test_leader_lease_holds_renews_and_releases(app: Flask) -> None:
    """One process holds; a second is refused until the first releases; `held()` follows."""
    first = LeaderLease(name=NAME, ttl=TTL)
    second = LeaderLease(name=NAME, ttl=TTL)
    assert first.owner != second.owner
    with app.app_context():
        assert first.hold() and first.held()
        assert first.hold()  # renewal
        assert not second.hold() and not second.held()
        first.release()
        assert not first.held()
        assert second.hold() and second.held()
        assert not first.hold()


def test_leader_lease_is_taken_over_when_the_holder_stops_renewing(app: Flask) -> None:
    """When the holder's lease runs out (here: its expiry moved into the past), another takes it,
    and the old holder learns it lost it at its next try."""
    first = LeaderLease(name=NAME, ttl=TTL)
    second = LeaderLease(name=NAME, ttl=TTL)
    with app.app_context():
        assert first.hold()
        with db.session_scope() as session:
            session.exec(
                update(SchedulerLease)
                .where(col(SchedulerLease.name) == NAME)
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )
        assert second.hold()
        assert not first.hold() and not first.held()
    assert _lease(app).owner == second.owner


def test_leader_lease_answers_false_when_the_database_fails(app: Flask) -> None:
    """A database error is not leadership: hold() says False (and the error is logged, not raised)."""
    lease = LeaderLease(name=NAME, ttl=TTL)
    with app.app_context():
        SchedulerLease.__table__.drop(db.engine)  # type: ignore[attr-defined]
        assert not lease.hold()
