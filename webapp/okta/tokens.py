"""The one token service every Okta call goes through.

- Refreshes shortly before the access token expires, and once after a 401.
- Persists the rotated refresh token *before* the new access token is used: Okta's SPA refresh
  tokens rotate and are single-use (https://developer.okta.com/docs/guides/refresh-tokens/main/
  #refresh-token-rotation); losing the new one costs the whole grant once the leeway passes.
- Single-flight across threads and processes: a short lease on the connection row (taken by a
  conditional UPDATE, so it works the same on SQLite and PostgreSQL) means one caller refreshes and
  the others wait and read its result, instead of presenting the same token twice (PITFALLS 3.2).
- If a process dies after Okta rotated the token but before saving it, the stored (previous)
  token is still accepted by Okta within the rotation leeway (30 s by default), so the next attempt
  simply recovers; after the leeway Okta answers `invalid_grant`, and the connection is marked
  "needs reconnect" for the admin to see.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
from sqlalchemy import or_, update
from sqlmodel import Session, col

from webapp.audit import record_event
from webapp.crypto import SecretBox
from webapp.db import Database
from webapp.models import OktaConnection, utcnow
from webapp.okta import oauth
from webapp.okta.errors import NeedsReconnectError, NotConnectedError, OktaError, OktaOAuthError
from webapp.okta.store import CONNECTION_ID

logger = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(seconds=60)  # refresh this long before the access token expires
LEASE_DURATION = timedelta(seconds=15)  # shorter than Okta's default 30 s rotation leeway
LEASE_POLL_SECONDS = 0.05
HOSTNAME = socket.gethostname()
CONNECTED = "connected"
NEEDS_RECONNECT = "needs_reconnect"
DISCONNECTED = "disconnected"


def _pid_is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def lease_is_stale(owner: str | None, expires_at: datetime | None, *, now: datetime) -> bool:
    """A lease can be taken over once it expired, or at once if its process on this host is gone."""
    if owner is None or expires_at is None or expires_at <= now:
        return True
    host, _, rest = owner.partition(":")
    pid_text = rest.split(":", 1)[0]
    return host == HOSTNAME and pid_text.isdigit() and not _pid_is_alive(int(pid_text))


class TokenService:
    """Hands out valid access tokens for the stored Okta connection."""

    def __init__(
        self,
        *,
        database: Database,
        secret_box: SecretBox,
        http: httpx.Client,
        clock: Callable[[], datetime] = utcnow,
        lease_wait_seconds: float | None = None,
    ) -> None:
        self._database = database
        self._box = secret_box
        self._http = http
        self._clock = clock
        self._lease_wait = lease_wait_seconds or LEASE_DURATION.total_seconds() + 15

    # --- public -----------------------------------------------------------------------------

    def access_token(self) -> str:
        """A valid access token, refreshed first if it expires within the margin."""
        with self._database.session_scope(writer=False) as session:
            connection = self._usable_connection(session)
            expires_at = connection.access_token_expires_at
            if (
                connection.access_token_ciphertext
                and expires_at
                and expires_at - REFRESH_MARGIN > self._clock()
            ):
                return self._box.decrypt(connection.access_token_ciphertext)
            observed_version = connection.token_version
        return self._refresh(observed_version=observed_version)

    def access_token_after_unauthorized(self, rejected_token: str) -> str:
        """After Okta answered 401 to `rejected_token`: a newer token, refreshing if nobody has yet."""
        with self._database.session_scope(writer=False) as session:
            connection = self._usable_connection(session)
            if connection.access_token_ciphertext:
                current = self._box.decrypt(connection.access_token_ciphertext)
                if current != rejected_token:
                    return current  # another caller already refreshed
            observed_version = connection.token_version
        return self._refresh(observed_version=observed_version)

    def store_new_grant(
        self, *, session: Session, connection: OktaConnection, tokens: oauth.TokenSet
    ) -> OktaConnection:
        """Store the tokens of a fresh authorization (the caller commits)."""
        self._apply_tokens(connection, tokens, keep_refresh_token=None)
        connection.status = CONNECTED
        connection.status_reason = None
        connection.refresh_lease_owner = None
        connection.refresh_lease_expires_at = None
        session.add(connection)
        return connection

    def mark_needs_reconnect(self, *, reason: str) -> None:
        """Record that the grant no longer works: tokens dropped, status shown on every page, audited."""
        with self._database.session_scope() as session:
            connection = session.get(OktaConnection, CONNECTION_ID)
            if connection is None:
                return
            connection.status = NEEDS_RECONNECT
            connection.status_reason = reason[:1000]
            connection.access_token_ciphertext = None
            connection.refresh_token_ciphertext = None
            connection.access_token_expires_at = None
            connection.refresh_lease_owner = None
            connection.refresh_lease_expires_at = None
            connection.token_version += 1
            connection.updated_at = utcnow()
            session.add(connection)
            record_event(session=session, action="okta.needs_reconnect", summary=reason)
        logger.warning("Okta connection needs reconnecting: %s", reason)

    # --- internals --------------------------------------------------------------------------

    def _usable_connection(self, session: Session) -> OktaConnection:
        connection = session.get(OktaConnection, CONNECTION_ID)
        if connection is None or connection.status == DISCONNECTED:
            raise NotConnectedError("Signet is not connected to Okta. Connect it in Setup.")
        if connection.status == NEEDS_RECONNECT:
            raise NeedsReconnectError(connection.status_reason or "Okta access was lost. Reconnect in Setup.")
        return connection

    def _refresh(self, *, observed_version: int) -> str:
        owner = f"{HOSTNAME}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"
        deadline = time.monotonic() + self._lease_wait
        while True:
            outcome = self._take_lease_or_read(owner=owner, observed_version=observed_version)
            if isinstance(outcome, str):
                return outcome  # someone else refreshed meanwhile
            if outcome is not None:
                break
            if time.monotonic() > deadline:
                raise OktaError("Another Okta token refresh is taking too long; try again in a moment.")
            time.sleep(LEASE_POLL_SECONDS)
        origin, client_id, refresh_ciphertext = outcome
        try:
            tokens = oauth.refresh_tokens(
                http=self._http,
                origin=origin,
                client_id=client_id,
                refresh_token=self._box.decrypt(refresh_ciphertext),
            )
        except OktaOAuthError as error:
            if error.error == "invalid_grant":
                reason = (
                    "Okta no longer accepts Signet's refresh token (it was revoked, expired or reused). "
                    "Reconnect Okta in Setup."
                )
                self.mark_needs_reconnect(reason=reason)
                raise NeedsReconnectError(reason) from error
            self._release_lease(owner)
            raise
        except BaseException:
            self._release_lease(owner)
            raise
        # Persist first, use second: the rotated refresh token is committed before we hand out the
        # new access token, so a crash after this point loses nothing.
        self._save_refreshed(owner=owner, tokens=tokens)
        return tokens.access_token

    def _take_lease_or_read(self, *, owner: str, observed_version: int) -> str | tuple[str, str, str] | None:
        """Take the refresh lease (returns what the refresh needs), or return the newer access token
        someone else stored, or None to wait."""
        now = self._clock()
        with self._database.session_scope() as session:
            connection = self._usable_connection(session)
            if connection.token_version != observed_version and connection.access_token_ciphertext:
                return self._box.decrypt(connection.access_token_ciphertext)
            if not connection.refresh_token_ciphertext:
                raise NeedsReconnectError("Signet has no refresh token for Okta. Reconnect Okta in Setup.")
            if not lease_is_stale(
                connection.refresh_lease_owner, connection.refresh_lease_expires_at, now=now
            ):
                return None
            # Conditional UPDATE: of two callers racing here, exactly one matches the old lease.
            result = session.exec(
                update(OktaConnection)
                .where(col(OktaConnection.id) == CONNECTION_ID)
                .where(col(OktaConnection.token_version) == observed_version)
                .where(
                    or_(
                        col(OktaConnection.refresh_lease_owner).is_(None),
                        col(OktaConnection.refresh_lease_owner) == connection.refresh_lease_owner,
                    )
                )
                .values(refresh_lease_owner=owner, refresh_lease_expires_at=now + LEASE_DURATION)
            )
            if result.rowcount != 1:
                return None
            return connection.okta_origin, connection.client_id, connection.refresh_token_ciphertext

    def _save_refreshed(self, *, owner: str, tokens: oauth.TokenSet) -> None:
        with self._database.session_scope() as session:
            connection = session.get(OktaConnection, CONNECTION_ID)
            if connection is None:
                return
            if connection.refresh_lease_owner != owner:
                # Our lease expired and someone else may have refreshed too. Ours is still the newest
                # token Okta issued to us, and both are valid within the leeway; keep ours.
                logger.warning("Okta token refresh outlived its lease; storing its result anyway")
            self._apply_tokens(connection, tokens, keep_refresh_token=connection.refresh_token_ciphertext)
            connection.refresh_lease_owner = None
            connection.refresh_lease_expires_at = None
            session.add(connection)

    def _apply_tokens(
        self, connection: OktaConnection, tokens: oauth.TokenSet, *, keep_refresh_token: str | None
    ) -> None:
        connection.access_token_ciphertext = self._box.encrypt(tokens.access_token)
        connection.access_token_expires_at = tokens.expires_at
        # Without rotation Okta may return no refresh token: keep the one we have (PITFALLS 3.5).
        connection.refresh_token_ciphertext = (
            self._box.encrypt(tokens.refresh_token) if tokens.refresh_token else keep_refresh_token
        )
        if tokens.scopes:
            connection.scopes = " ".join(sorted(tokens.scopes))
        connection.token_version += 1
        connection.refreshed_at = utcnow()
        connection.updated_at = utcnow()

    def _release_lease(self, owner: str) -> None:
        with self._database.session_scope() as session:
            session.exec(
                update(OktaConnection)
                .where(col(OktaConnection.id) == CONNECTION_ID)
                .where(col(OktaConnection.refresh_lease_owner) == owner)
                .values(refresh_lease_owner=None, refresh_lease_expires_at=None)
            )
