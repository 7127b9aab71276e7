"""The audit trail: who did what, when, from where."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from webapp.db import timestamp_field


# Database model: who did what, when, from where. Append-only.
class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = timestamp_field(index=True)
    actor_id: int | None = Field(default=None, foreign_key="admin_users.id", ondelete="SET NULL")
    # Kept as text too, so the trail still reads right if the admin is later removed.
    actor_email: str | None = Field(default=None, max_length=254)
    action: str = Field(max_length=64, index=True)
    summary: str = Field(default="", max_length=500)
    ip_address: str | None = Field(default=None, max_length=64)
