"""SQLModel tables. Every change here comes with an Alembic migration in `migrations/versions/`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel

# Named constraints let SQLite's batch migrations find and alter them later.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use webapp.models.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def timestamp_field(*, nullable: bool = False, index: bool = False) -> Any:
    """A UTC timestamp column; non-nullable ones default to now."""
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, nullable=True, index=index)
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=index)


# Database model: a person who administers this Signet instance.
class AdminUser(SQLModel, table=True):
    __tablename__ = "admin_users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    is_active: bool = Field(default=True)
    created_at: datetime = timestamp_field()
    last_login_at: datetime | None = timestamp_field(nullable=True)

    # flask-login's user protocol, kept here so AdminUser needs no mixin with untyped attributes.
    @property
    def is_authenticated(self) -> bool:
        """Any loaded admin is authenticated; anonymous visitors are flask-login's AnonymousUserMixin."""
        return True

    @property
    def is_anonymous(self) -> bool:
        """Admins are never anonymous."""
        return False

    def get_id(self) -> str:
        """The id flask-login keeps in the session."""
        return str(self.id)


# Database model: an invitation for another admin, sent by hand as a one-time link.
class AdminInvite(SQLModel, table=True):
    __tablename__ = "admin_invites"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    # Only a SHA-256 of the link's token is kept, so a database leak reveals no usable link.
    token_hash: str = Field(max_length=64, unique=True)
    invited_by_id: int | None = Field(default=None, foreign_key="admin_users.id", ondelete="SET NULL")
    created_at: datetime = timestamp_field()
    expires_at: datetime = timestamp_field()
    accepted_at: datetime | None = timestamp_field(nullable=True)
    revoked_at: datetime | None = timestamp_field(nullable=True)


# Database model: one sign-in attempt, kept for throttling by account and by IP.
class LoginAttempt(SQLModel, table=True):
    __tablename__ = "login_attempts"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    ip_address: str = Field(max_length=64, index=True)
    succeeded: bool = Field(default=False)
    attempted_at: datetime = timestamp_field(index=True)


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
