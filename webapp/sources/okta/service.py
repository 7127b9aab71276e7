"""Wiring: one HTTP client, secret box and token service per app, shared by views and jobs."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
from flask import Flask, current_app

from webapp.crypto import SecretBox, secret_box_from_config
from webapp.db import Database
from webapp.extensions import db
from webapp.sources.okta.api import OktaApi
from webapp.sources.okta.tokens import TokenService

USER_AGENT = "Signet/0.1 (+self-hosted email signatures)"


class OktaState:
    """One app's Okta plumbing: HTTP client, secret box and token service."""

    def __init__(self, *, database: Database, box: SecretBox, timeout: float) -> None:
        self.secret_box = box
        self._database = database
        self._timeout = timeout
        self._lock = threading.Lock()
        self._http: httpx.Client | None = None
        self._tokens: TokenService | None = None

    @property
    def http(self) -> httpx.Client:
        """The HTTP client for Okta, created on first use (after gunicorn forks its workers)."""
        with self._lock:
            return self._http_unlocked()

    @property
    def tokens(self) -> TokenService:
        """The token service (one per process; the single-flight lock is in the database)."""
        with self._lock:
            if self._tokens is None:
                self._tokens = TokenService(
                    database=self._database, secret_box=self.secret_box, http=self._http_unlocked()
                )
            return self._tokens

    def _http_unlocked(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(
                timeout=httpx.Timeout(self._timeout, connect=min(5.0, self._timeout)),
                headers={"User-Agent": USER_AGENT},
                follow_redirects=False,
            )
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
            database=self._database, box=box, timeout=settings.OKTA_HTTP_TIMEOUT
        )

    @property
    def state(self) -> OktaState:
        """The current app's Okta state."""
        state: OktaState = current_app.extensions["signet_okta"]
        return state

    @property
    def secret_box(self) -> SecretBox:
        """Encrypts tokens and PKCE verifiers at rest."""
        return self.state.secret_box

    @property
    def http(self) -> httpx.Client:
        """The HTTP client for Okta."""
        return self.state.http

    @property
    def tokens(self) -> TokenService:
        """The token service."""
        return self.state.tokens

    def api(self, origin: str) -> OktaApi:
        """A Management API client for the connected org."""
        return OktaApi(origin=origin, tokens=self.tokens, http=self.http)


okta_services = OktaServices(db)
