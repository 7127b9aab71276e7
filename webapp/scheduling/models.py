"""Tables of the scheduling area: the leader lease."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from webapp.db import timestamp_field


# Database model: a named lease, held by one process at a time until `expires_at`.
# Every serving process runs a scheduler, but only the lease holder (the leader) runs jobs; the holder
# renews the row every few seconds, and anyone may take it once it has expired (the holder died).
class SchedulerLease(SQLModel, table=True):
    __tablename__ = "scheduler_leases"

    name: str = Field(primary_key=True, max_length=64)
    # host:pid:random, new for every scheduler start, so a restarted process never inherits a lease.
    owner: str = Field(max_length=255)
    acquired_at: datetime = timestamp_field()
    renewed_at: datetime = timestamp_field()
    expires_at: datetime = timestamp_field()
