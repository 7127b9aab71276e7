"""Tables of the Okta source: setup progress, the connection and its tokens, connect attempts."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Text
from sqlmodel import Field, SQLModel

from webapp.db import timestamp_field, utcnow


class ConnectionStatus(StrEnum):
    """The stored state of the Okta connection; templates read it as `OktaStatus` (never retyped)."""

    CONNECTED = "connected"
    NEEDS_RECONNECT = "needs_reconnect"
    DISCONNECTED = "disconnected"


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
    # Not counted when connecting (that took up to 25 API calls); left for the first sync to fill in.
    user_count: int | None = Field(default=None)
    user_count_is_lower_bound: bool = Field(default=False)
    # "DPoP" when Okta bound the tokens to Signet's key pair (the app requires DPoP), else "Bearer".
    token_type: str = Field(default="Bearer", max_length=16, sa_column_kwargs={"server_default": "Bearer"})
    # The DPoP private key (a JWK), encrypted like the tokens; only for a DPoP-bound grant.
    dpop_key_ciphertext: str | None = Field(default=None, sa_type=Text)
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
        self.dpop_key_ciphertext = None  # `token_type` stays: how the next connect tries first
        self.refresh_lease_owner = None
        self.refresh_lease_expires_at = None
        self.token_version += 1
        self.updated_at = utcnow()


# Database model: one "Connect Okta" attempt: its state, nonce and PKCE verifier (encrypted),
# bound to the admin who started it and short-lived.
class OAuthAttempt(SQLModel, table=True):
    __tablename__ = "oauth_attempts"

    id: int | None = Field(default=None, primary_key=True)
    # SHA-256 (hex) of the `state` and `nonce` sent to Okta, never the values: the callback's state is
    # looked up by its hash and the id_token's nonce compared by hash, so a copy of the database (or
    # a backup) can't be used to complete a sign-in that is in flight.
    state_hash: str = Field(max_length=64, unique=True)
    admin_id: int = Field(foreign_key="admin_users.id", ondelete="CASCADE")
    okta_origin: str = Field(max_length=300)
    client_id: str = Field(max_length=100)
    redirect_uri: str = Field(max_length=500)
    code_verifier_ciphertext: str = Field(sa_type=Text)
    # A DPoP key pair made for this attempt (encrypted), used if the app turns out to require DPoP.
    dpop_key_ciphertext: str | None = Field(default=None, sa_type=Text)
    nonce_hash: str = Field(max_length=64)
    created_at: datetime = timestamp_field()
    expires_at: datetime = timestamp_field()
    used_at: datetime | None = timestamp_field(nullable=True)

    def nonce_matches(self, nonce: str) -> bool:
        """Whether `nonce` (from the id_token) is the one this attempt sent, compared in constant time."""
        return hmac.compare_digest(secret_digest(nonce), self.nonce_hash)


def secret_digest(value: str) -> str:
    """The SHA-256 of a one-time secret (state, nonce), hex: what is stored instead of the secret.

    A plain hash is enough: both are 128-bit-or-more random values, so there is nothing to guess.
    """
    return hashlib.sha256(value.encode("utf-8")).hexdigest()
