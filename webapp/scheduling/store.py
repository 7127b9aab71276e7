"""Data access for leases: conditional writes that decide who holds a lease. Callers commit.

Times come from the database's clock on PostgreSQL, so hosts whose clocks disagree still agree on
when a lease expires; SQLite lives on one host, whose clock is the database's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Insert, case, func, literal, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from webapp.db import UTCDateTime, utcnow
from webapp.scheduling.models import SchedulerLease


def database_now(*, session: Session) -> datetime:
    """The current time by the database's clock (UTC, timezone-aware)."""
    if session.get_bind().dialect.name == "postgresql":
        # clock_timestamp(), not now(): now() is frozen at the start of the transaction.
        value = session.exec(select(func.clock_timestamp())).one()
        assert isinstance(value, datetime)
        return value.astimezone(UTC)
    return utcnow()


def get_lease(*, session: Session, name: str) -> SchedulerLease | None:
    """The lease row called `name`, if anyone ever took it."""
    return session.get(SchedulerLease, name)


def claim_lease(*, session: Session, name: str, owner: str, now: datetime, ttl: timedelta) -> bool:
    """Take the lease for `owner` until `now + ttl`, or renew it: True if `owner` now holds it.

    It succeeds when the lease is free (never taken, expired or released) or already `owner`'s, as
    one conditional UPDATE (or an INSERT that does nothing on conflict), so of two processes claiming
    at once exactly one wins on both SQLite and PostgreSQL.
    """
    expires_at = now + ttl
    renewed = session.exec(
        update(SchedulerLease)
        .where(col(SchedulerLease.name) == name)
        .where(or_(col(SchedulerLease.owner) == owner, col(SchedulerLease.expires_at) <= now))
        .values(
            # A renewal keeps the time the holder first took it; a takeover starts a new tenure.
            acquired_at=case(
                (col(SchedulerLease.owner) == owner, col(SchedulerLease.acquired_at)),
                else_=literal(now, UTCDateTime()),
            ),
            owner=owner,
            renewed_at=now,
            expires_at=expires_at,
        )
    )
    if renewed.rowcount == 1:
        return True
    row = {"name": name, "owner": owner, "acquired_at": now, "renewed_at": now, "expires_at": expires_at}
    inserted = session.exec(_insert_unless_present(session, row).returning(col(SchedulerLease.name)))
    return inserted.first() is not None


def release_lease(*, session: Session, name: str, owner: str, now: datetime) -> bool:
    """Free the lease if `owner` holds it (it expires now, so anyone may take it at once)."""
    result = session.exec(
        update(SchedulerLease)
        .where(col(SchedulerLease.name) == name)
        .where(col(SchedulerLease.owner) == owner)
        .where(col(SchedulerLease.expires_at) > now)
        .values(expires_at=now)
    )
    return result.rowcount == 1


def _insert_unless_present(session: Session, row: dict[str, object]) -> Insert:
    # INSERT ... ON CONFLICT DO NOTHING: a concurrent first claim loses quietly instead of raising.
    # (RETURNING tells whether a row went in: the ORM reports no rowcount for this statement.)
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(SchedulerLease).values(row).on_conflict_do_nothing(index_elements=["name"])
    return sqlite.insert(SchedulerLease).values(row).on_conflict_do_nothing(index_elements=["name"])
