"""Tables of the accounts area: admins, their invitations, and sign-in attempts."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from webapp.db import timestamp_field


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
