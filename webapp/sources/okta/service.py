"""Wiring: one HTTP client, secret box and token service per app, shared by views and jobs.

Every call to Okta goes through `OktaState.http`, whose transport (`http.py`) paces Signet by
Okta's rate limits, retries what can be retried and signs DPoP proofs; `api()` is the one way to
get a Management API client for the stored connection.
"""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
from flask import Flask, current_app

from webapp.crypto import SecretBox, secret_box_from_config
from webapp.db import Database
from webapp.extensions import db
from webapp.netguard import GuardedTransport
from webapp.sources.okta.api import OktaApi
from webapp.sources.okta.http import OktaTransport, RetryPolicy, build_client
from webapp.sources.okta.ratelimit import DEFAULT_RESERVE_FRACTION, RateLimits
from webapp.sources.okta.tokens import TokenService

USER_AGENT = "Signet/0.1 (+self-hosted email signatures)"


class OktaState:
    """One app's Okta plumbing: HTTP client (and its transport), secret box and token service."""

    def __init__(
        self,
        *,
        database: Database,
        box: SecretBox,
        timeout: float,
        allow_loopback: bool = False,
        reserve_fraction: float = DEFAULT_RESERVE_FRACTION,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.secret_box = box
        self._database = database
        self._timeout = timeout
        self._allow_loopback = allow_loopback
        self._reserve_fraction = reserve_fraction
        self._policy = policy or RetryPolicy()
        self._lock = threading.Lock()
        self._http: httpx.Client | None = None
        self._transport: OktaTransport | None = None
        self._tokens: TokenService | None = None

    @property
    def http(self) -> httpx.Client:
        """The HTTP client for Okta, created on first use (after gunicorn forks its workers)."""
        with self._lock:
            return self._http_unlocked()

    @property
    def transport(self) -> OktaTransport:
        """The transport under `http`: rate-limit state, retry policy, DPoP nonces, clock."""
        with self._lock:
            self._http_unlocked()
            assert self._transport is not None
            return self._transport

    @property
    def tokens(self) -> TokenService:
        """The token service (one per process; the single-flight lock is in the database)."""
        with self._lock:
            if self._tokens is None:
                self._tokens = TokenService(
                    database=self._database, secret_box=self.secret_box, http=self._http_unlocked()
                )
            return self._tokens

    def api(self, origin: str, *, max_wait: float | None = None) -> OktaApi:
        """A Management API client for the stored connection; `max_wait` as in `OktaApi`."""
        return OktaApi(origin=origin, tokens=self.tokens, http=self.http, max_wait=max_wait)

    def _http_unlocked(self) -> httpx.Client:
        if self._http is None:
            # Only public https addresses (loopback too with OKTA_ALLOW_LOOPBACK): webapp/netguard.py.
            sender = GuardedTransport(allow_loopback=self._allow_loopback)
            self._transport = OktaTransport(
                sender, limits=RateLimits(reserve_fraction=self._reserve_fraction), policy=self._policy
            )
            self._http = build_client(timeout=self._timeout, user_agent=USER_AGENT, transport=self._transport)
        return self._http


class OktaServices:
    """Flask extension: `okta_services.http`, `.secret_box`, `.tokens`, `.api(origin)` for the
    current app (state kept in `app.extensions`, so apps never share tokens or keys)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def init_app(self, app: Flask) -> None:
        """Read settings and build the secret box (its key file is created here, at start-up)."""
        settings = app.extensions["signet_settings"]
        keys = settings.ENCRYPTION_KEY.get_secret_value() if settings.ENCRYPTION_KEY else None
        box = secret_box_from_config(configured_keys=keys, instance_path=Path(app.instance_path))
        app.extensions["signet_okta"] = OktaState(
            database=self._database,
            box=box,
            timeout=settings.OKTA_HTTP_TIMEOUT,
            allow_loopback=settings.OKTA_ALLOW_LOOPBACK,
            reserve_fraction=settings.OKTA_RATE_LIMIT_RESERVE,
            policy=RetryPolicy(max_wait=settings.OKTA_MAX_WAIT),
        )

    @property
    def state(self) -> OktaState:
        """The current app's Okta state."""
        state: OktaState = current_app.extensions["signet_okta"]
        return state

    @property
    def secret_box(self) -> SecretBox:
        """Encrypts tokens, PKCE verifiers and DPoP keys at rest."""
        return self.state.secret_box

    @property
    def http(self) -> httpx.Client:
        """The HTTP client for Okta."""
        return self.state.http

    @property
    def tokens(self) -> TokenService:
        """The token service."""
        return self.state.tokens

    def api(self, origin: str, *, max_wait: float | None = None) -> OktaApi:
        """A Management API client for the connected org (the one way to build one)."""
        return self.state.api(origin, max_wait=max_wait)


okta_services = OktaServices(db)
