"""SQLModel tables. Every change here comes with an Alembic migration in `migrations/versions/`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Text, TypeDecorator
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
    # Part of the id kept in the session cookie: bumping it (sign-out) ends every session of this
    # admin, including copies of the cookie, which a signed cookie alone could not do.
    session_epoch: int = Field(default=0, sa_column_kwargs={"server_default": "0"})

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
        """The id flask-login keeps in the session: `<admin id>:<session epoch>`."""
        return f"{self.id}:{self.session_epoch}"


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


# Database model: where the admin is in the guided Okta setup, and what they typed (kept verbatim,
# so a reload or a visit tomorrow resumes with nothing lost). One row per instance.
class OktaSetupProgress(SQLModel, table=True):
    __tablename__ = "okta_setup_progress"

    id: int = Field(default=1, primary_key=True)
    current_step: int = Field(default=1)
    completed_steps: list[int] = Field(default_factory=list, sa_type=JSON)
    domain_input: str = Field(default="", max_length=500)
    okta_origin: str | None = Field(default=None, max_length=300)
    client_id_input: str = Field(default="", max_length=500)
    # The latest problem reported by the connect flow, shown in the wizard next to the step to fix.
    last_error_code: str | None = Field(default=None, max_length=64)
    last_error_message: str | None = Field(default=None, max_length=1000)
    last_error_step: int | None = Field(default=None)
    updated_at: datetime = timestamp_field()


# Database model: the live connection to an Okta org, with its tokens encrypted (webapp.crypto).
class OktaConnection(SQLModel, table=True):
    __tablename__ = "okta_connections"

    id: int = Field(default=1, primary_key=True)
    status: str = Field(default="disconnected", max_length=32)  # connected | needs_reconnect | disconnected
    status_reason: str | None = Field(default=None, max_length=1000)
    okta_origin: str = Field(max_length=300)
    client_id: str = Field(max_length=100)
    scopes: str = Field(default="", max_length=500)
    connected_by_login: str | None = Field(default=None, max_length=254)
    connected_by_admin_id: int | None = Field(default=None, foreign_key="admin_users.id", ondelete="SET NULL")
    connected_at: datetime | None = timestamp_field(nullable=True)
    last_verified_at: datetime | None = timestamp_field(nullable=True)
    user_count: int | None = Field(default=None)
    user_count_is_lower_bound: bool = Field(default=False)
    access_token_ciphertext: str | None = Field(default=None, sa_type=Text)
    access_token_expires_at: datetime | None = timestamp_field(nullable=True)
    refresh_token_ciphertext: str | None = Field(default=None, sa_type=Text)
    # Bumped on every token change: the compare-and-swap that keeps refreshes single-flight.
    token_version: int = Field(default=0)
    refreshed_at: datetime | None = timestamp_field(nullable=True)
    # A short lease taken by whoever is refreshing (thread or process), so others wait instead of
    # presenting the same rotating refresh token (PITFALLS 3.2).
    refresh_lease_owner: str | None = Field(default=None, max_length=200)
    refresh_lease_expires_at: datetime | None = timestamp_field(nullable=True)
    updated_at: datetime = timestamp_field()

    def drop_grant(self, *, status: str, reason: str | None = None) -> None:
        """Forget the tokens (they no longer work, or must no longer be used) and set the status.

        Bumping `token_version` makes any refresh in flight fail its compare-and-swap.
        """
        self.status = status
        self.status_reason = reason[:1000] if reason else None
        self.access_token_ciphertext = None
        self.access_token_expires_at = None
        self.refresh_token_ciphertext = None
        self.refresh_lease_owner = None
        self.refresh_lease_expires_at = None
        self.token_version += 1
        self.updated_at = utcnow()


# Database model: one "Connect Okta" attempt: its state, nonce and PKCE verifier (encrypted),
# bound to the admin who started it and short-lived.
class OAuthAttempt(SQLModel, table=True):
    __tablename__ = "oauth_attempts"

    id: int | None = Field(default=None, primary_key=True)
    state: str = Field(max_length=100, unique=True)
    admin_id: int = Field(foreign_key="admin_users.id", ondelete="CASCADE")
    okta_origin: str = Field(max_length=300)
    client_id: str = Field(max_length=100)
    redirect_uri: str = Field(max_length=500)
    code_verifier_ciphertext: str = Field(sa_type=Text)
    nonce: str = Field(max_length=100)
    created_at: datetime = timestamp_field()
    expires_at: datetime = timestamp_field()
    used_at: datetime | None = timestamp_field(nullable=True)
