"""The one token service every Okta call goes through.

- Refreshes shortly before the access token expires, and once after a 401.
- Persists the rotated refresh token *before* the new access token is used: Okta's SPA refresh
  tokens rotate and are single-use (https://developer.okta.com/docs/guides/refresh-tokens/main/
  #refresh-token-rotation); losing the new one costs the whole grant once the leeway passes.
- Single-flight across threads and processes: a short lease on the connection row (taken by a
  conditional UPDATE, so it works the same on SQLite and PostgreSQL) means one caller refreshes and
  the others wait and read its result, instead of presenting the same token twice (PITFALLS 3.2).
  The result is saved with a compare-and-swap on `token_version` and `status`, so a disconnect or
  reconnect that happened meanwhile is never undone.
- DPoP-bound grants (the app requires DPoP) keep their key pair encrypted beside the tokens; every
  refresh and API call carries a proof made with it (`dpop.py`, `Credentials`).
- If a process dies after Okta rotated the token but before saving it, the stored (previous)
  token is still accepted by Okta within the rotation leeway (30 s by default), so the next attempt
  simply recovers; after the leeway Okta answers `invalid_grant`, and the connection is marked
  "needs reconnect" for the admin to see.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

import httpx
from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from webapp import processes
from webapp.audit.store import record_event
from webapp.crypto import SecretBox, SecretUnreadableError
from webapp.db import Database, utcnow
from webapp.processes import HOSTNAME as HOSTNAME  # re-exported: tests name lease owners with it
from webapp.sources.okta import oauth
from webapp.sources.okta.api import Credentials
from webapp.sources.okta.dpop import DPOP_HINT, INVALID_DPOP_PROOF, DpopKey
from webapp.sources.okta.errors import NeedsReconnectError, NotConnectedError, OktaError, OktaOAuthError
from webapp.sources.okta.models import ConnectionStatus, OktaConnection
from webapp.sources.okta.problems import DPOP_NOW_REQUIRED, GRANT_LOST_ERRORS, UNREADABLE_TOKENS
from webapp.sources.okta.store import CONNECTION_ID

logger = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(seconds=60)  # refresh this long before the access token expires
LEASE_MARGIN_SECONDS = 5.0
LEASE_POLL_SECONDS = 0.05
CONNECTED = ConnectionStatus.CONNECTED
NEEDS_RECONNECT = ConnectionStatus.NEEDS_RECONNECT
DISCONNECTED = ConnectionStatus.DISCONNECTED


def lease_is_stale(owner: str | None, expires_at: datetime | None, *, now: datetime) -> bool:
    """A lease can be taken over once it expired, or at once if its process on this host is gone."""
    if owner is None or expires_at is None or expires_at <= now:
        return True
    pid = processes.local_pid(owner)
    return pid is not None and not processes.pid_is_alive(pid)


@dataclass(frozen=True)
class _Stored:
    """An access token (and DPoP key) as stored; still encrypted, decrypted outside the transaction."""

    ciphertext: str
    version: int
    dpop_key_ciphertext: str | None = None

    @classmethod
    def of(cls, connection: OktaConnection) -> _Stored | None:
        """The connection's access token, if it has one."""
        if not connection.access_token_ciphertext:
            return None
        return cls(
            connection.access_token_ciphertext, connection.token_version, connection.dpop_key_ciphertext
        )


@dataclass(frozen=True)
class _Lease:
    """What the caller holding the refresh lease needs."""

    owner: str
    version: int
    origin: str
    client_id: str
    refresh_token_ciphertext: str
    dpop_key_ciphertext: str | None


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
        # The lease must outlive the slowest refresh call (its retries and waits are bounded by
        # REFRESH_MAX_WAIT, then one last attempt may take a whole timeout), or a second caller
        # could present the same refresh token while the first is still waiting for Okta.
        timeout = http.timeout.read or 10.0
        slowest = oauth.REFRESH_MAX_WAIT + 2 * timeout
        self._lease = timedelta(seconds=max(15.0, slowest + LEASE_MARGIN_SECONDS))
        self._lease_wait = lease_wait_seconds or self._lease.total_seconds() + 15

    def credentials(self) -> Credentials:
        """A valid access token (and its DPoP key), refreshed first if it expires within the margin."""
        self._database.ensure_request_session_idle()
        with self._database.session_scope(writer=False) as session:
            connection = self._usable_connection(session)
            stored, version = _Stored.of(connection), connection.token_version
            expires_at = connection.access_token_expires_at
            fresh = bool(expires_at and expires_at - REFRESH_MARGIN > self._clock())
        if fresh and stored is not None:
            return self._decrypt(stored)
        return self._refresh(observed_version=version)

    def credentials_after_unauthorized(self, rejected: Credentials) -> Credentials:
        """After Okta answered 401 to `rejected`: newer credentials, refreshing if nobody has yet."""
        self._database.ensure_request_session_idle()
        with self._database.session_scope(writer=False) as session:
            connection = self._usable_connection(session)
            stored, version = _Stored.of(connection), connection.token_version
        if stored is not None:
            current = self._decrypt(stored)
            if current.access_token != rejected.access_token:
                return current  # another caller already refreshed
        return self._refresh(observed_version=version)

    def access_token(self) -> str:
        """A valid access token (see `credentials`)."""
        return self.credentials().access_token

    def store_new_grant(
        self,
        *,
        session: Session,
        connection: OktaConnection,
        tokens: oauth.TokenSet,
        dpop_key: DpopKey | None,
    ) -> OktaConnection:
        """Store the tokens of a fresh, verified authorization (the caller commits).

        `dpop_key` is kept (encrypted) only when Okta bound the tokens to it.
        """
        self._apply_tokens(connection, tokens, keep_refresh_token=None)
        connection.token_type = tokens.token_type
        bound = tokens.dpop_bound and dpop_key is not None
        connection.dpop_key_ciphertext = self._box.encrypt(dpop_key.to_json()) if bound and dpop_key else None
        connection.status = CONNECTED
        connection.status_reason = None
        connection.refresh_lease_owner = None
        connection.refresh_lease_expires_at = None
        session.add(connection)
        return connection

    def mark_needs_reconnect(self, *, reason: str, observed_version: int | None = None) -> None:
        """Record that the grant no longer works: tokens dropped, status shown on every page, audited.

        With `observed_version`, nothing happens if someone stored other tokens since (a reconnect,
        or a refresh by another caller): those still work.
        """
        with self._database.session_scope() as session:
            connection = self._locked_row(session)
            if connection is None or connection.status != CONNECTED:
                return
            if observed_version is not None and connection.token_version != observed_version:
                return
            connection.drop_grant(status=NEEDS_RECONNECT, reason=reason)
            session.add(connection)
            record_event(session=session, action="okta.needs_reconnect", summary=reason)
        logger.warning("Okta connection needs reconnecting: %s", reason)

    def _usable_connection(self, session: Session) -> OktaConnection:
        connection = session.get(OktaConnection, CONNECTION_ID)
        if connection is None or connection.status == DISCONNECTED:
            raise NotConnectedError("Signet is not connected to Okta. Connect it in Setup.")
        if connection.status == NEEDS_RECONNECT:
            raise NeedsReconnectError(connection.status_reason or "Okta access was lost. Reconnect in Setup.")
        return connection

    def _locked_row(self, session: Session) -> OktaConnection | None:
        # FOR UPDATE serialises the read-check-write on PostgreSQL; SQLite's BEGIN IMMEDIATE
        # (writer session) already does.
        statement = select(OktaConnection).where(OktaConnection.id == CONNECTION_ID).with_for_update()
        return session.exec(statement).first()

    def _decrypt_text(self, ciphertext: str, *, version: int) -> str:
        try:
            return self._box.decrypt(ciphertext)
        except SecretUnreadableError as error:
            self.mark_needs_reconnect(reason=UNREADABLE_TOKENS, observed_version=version)
            raise NeedsReconnectError(UNREADABLE_TOKENS) from error

    def _decrypt_key(self, ciphertext: str | None, *, version: int) -> DpopKey | None:
        if ciphertext is None:
            return None
        try:
            return DpopKey.from_json(self._decrypt_text(ciphertext, version=version))
        except ValueError as error:
            self.mark_needs_reconnect(reason=UNREADABLE_TOKENS, observed_version=version)
            raise NeedsReconnectError(UNREADABLE_TOKENS) from error

    def _decrypt(self, stored: _Stored) -> Credentials:
        return Credentials(
            access_token=self._decrypt_text(stored.ciphertext, version=stored.version),
            dpop_key=self._decrypt_key(stored.dpop_key_ciphertext, version=stored.version),
        )

    def _refresh(self, *, observed_version: int) -> Credentials:
        owner = f"{HOSTNAME}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"
        deadline = time.monotonic() + self._lease_wait
        while True:
            outcome = self._take_lease_or_read(owner=owner, observed_version=observed_version)
            if isinstance(outcome, _Stored):  # someone else refreshed meanwhile
                return self._decrypt(outcome)
            if outcome is not None:
                break
            if time.monotonic() > deadline:
                raise OktaError("Another Okta token refresh is taking too long; try again in a moment.")
            time.sleep(LEASE_POLL_SECONDS)
        lease = outcome
        try:
            dpop_key = self._decrypt_key(lease.dpop_key_ciphertext, version=lease.version)
            tokens = oauth.refresh_tokens(
                http=self._http,
                origin=lease.origin,
                client_id=lease.client_id,
                refresh_token=self._decrypt_text(lease.refresh_token_ciphertext, version=lease.version),
                dpop_key=dpop_key,
            )
        except OktaOAuthError as error:
            self._refresh_failed(lease, error, bound=dpop_key is not None)
        except BaseException:
            self._release_lease(owner)
            raise
        # Persist first, use second: the rotated refresh token is committed before we hand out the
        # new access token, so a crash after this point loses nothing.
        return self._save_refreshed(lease=lease, tokens=tokens, dpop_key=dpop_key)

    def _refresh_failed(self, lease: _Lease, error: OktaOAuthError, *, bound: bool) -> NoReturn:
        """Okta refused the refresh: the grant is lost (needs reconnect), or the error is passed on."""
        if error.error == INVALID_DPOP_PROOF and not bound:
            reason: str | None = DPOP_NOW_REQUIRED
        else:
            reason = GRANT_LOST_ERRORS.get(error.error)
        if reason is None:
            self._release_lease(lease.owner)
            if error.error == INVALID_DPOP_PROOF:
                raise OktaError(f"Okta refused Signet's DPoP proof when refreshing its token. {DPOP_HINT}")
            raise error
        self.mark_needs_reconnect(reason=reason, observed_version=lease.version)
        raise NeedsReconnectError(reason) from error

    def _take_lease_or_read(self, *, owner: str, observed_version: int) -> _Stored | _Lease | None:
        """Take the refresh lease, or return the newer access token someone else stored, or None to wait."""
        now = self._clock()
        with self._database.session_scope() as session:
            connection = self._usable_connection(session)
            stored = _Stored.of(connection)
            if connection.token_version != observed_version and stored is not None:
                return stored
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
                .values(refresh_lease_owner=owner, refresh_lease_expires_at=now + self._lease)
            )
            if result.rowcount != 1:
                return None
            return _Lease(
                owner=owner,
                version=observed_version,
                origin=connection.okta_origin,
                client_id=connection.client_id,
                refresh_token_ciphertext=connection.refresh_token_ciphertext,
                dpop_key_ciphertext=connection.dpop_key_ciphertext,
            )

    def _save_refreshed(
        self, *, lease: _Lease, tokens: oauth.TokenSet, dpop_key: DpopKey | None
    ) -> Credentials:
        """Compare-and-swap the new tokens in; returns the credentials to use."""
        stored: _Stored | None = None
        with self._database.session_scope() as session:
            connection = self._locked_row(session)
            if connection is None or connection.status != CONNECTED:
                stale_grant = True
            elif connection.token_version != lease.version:
                # Our lease ran out and another caller stored a refresh meanwhile. Its tokens are as
                # good as ours; keep them and drop ours (revoking ours could end the shared family).
                logger.warning("Okta token refresh outlived its lease; keeping the other caller's result")
                stored = _Stored.of(connection)
                stale_grant = stored is None
            else:
                stale_grant = False
                self._apply_tokens(connection, tokens, keep_refresh_token=connection.refresh_token_ciphertext)
                connection.token_type = tokens.token_type
                connection.refresh_lease_owner = None
                connection.refresh_lease_expires_at = None
                session.add(connection)
        if stored is not None:
            return self._decrypt(stored)
        if stale_grant:
            # Disconnected (or reconnected) while we refreshed: the tokens we just got must not live on.
            self._revoke_quietly(lease=lease, tokens=tokens, dpop_key=dpop_key)
            raise NotConnectedError("Okta was disconnected while its token was being refreshed.")
        return Credentials(access_token=tokens.access_token, dpop_key=dpop_key if tokens.dpop_bound else None)

    def _revoke_quietly(self, *, lease: _Lease, tokens: oauth.TokenSet, dpop_key: DpopKey | None) -> None:
        oauth.revoke_unused_tokens(
            http=self._http,
            origin=lease.origin,
            client_id=lease.client_id,
            tokens=tokens,
            dpop_key=dpop_key,
            what="a token refreshed during a disconnect",
        )

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
