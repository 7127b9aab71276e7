"""Registered OIDC apps (OAuth clients) and their settings.

Each app is an OIDC Single-Page App: a public client (token endpoint auth method ``none``),
PKCE required, rotating refresh tokens (FACTS.md §1). Settings use Okta's names where Okta has
one (``dpop_bound_access_tokens``: SPEC-M ``OpenIdConnectApplicationSettingsClient``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, fields, replace
from typing import Any, Literal

from okta_sandbox import errors
from okta_sandbox.core import SandboxCore
from okta_sandbox.errors import OAuthError
from okta_sandbox.ids import CLIENT_PREFIX, okta_id
from okta_sandbox.models import SandboxApp

DEFAULT_REDIRECT_URI = "http://127.0.0.1:8000/callbacks/okta"
DEFAULT_APP_SCOPES: tuple[str, ...] = ("okta.users.read", "okta.schemas.read")
# Every SandboxApp field but the id can be changed with update_app.
_UPDATABLE_APP_FIELDS = frozenset(field.name for field in fields(SandboxApp)) - {"client_id"}
_BOOLEAN_FIELDS = frozenset({"assign_everyone", "dpop_bound_access_tokens"})


class AppsMixin(SandboxCore):
    """The registered apps and which one is the default SPA app."""

    _apps: dict[str, SandboxApp]
    _default_client_id: str

    def _init_apps(self) -> None:
        self._apps = {}
        # Drawn before the users, so the default client id depends on the seed alone, not on `users`.
        self._default_client_id = okta_id(CLIENT_PREFIX, self._rng)

    @property
    def default_app(self) -> SandboxApp:
        """A current copy of the default SPA app (redirect URI ``http://127.0.0.1:8000/callbacks/okta``)."""
        app = self.get_app(self._default_client_id)
        if app is None:  # pragma: no cover - the default app is never removed
            raise RuntimeError("default app missing")
        return app

    @default_app.setter
    def default_app(self, app: SandboxApp) -> None:
        with self._lock:
            if app.client_id not in self._apps:
                self._apps[app.client_id] = replace(app)
            self._default_client_id = app.client_id
            self._changed("sandbox.app.default", client_id=app.client_id)

    def register_app(
        self,
        *,
        client_id: str | None = None,
        redirect_uris: list[str],
        granted_scopes: Iterable[str] = DEFAULT_APP_SCOPES,
        assign_everyone: bool = True,
        assigned_logins: Iterable[str] = (),
        refresh_leeway_seconds: int = 30,
        access_token_lifetime_seconds: int = 3600,
        name: str = "Signet",
        refresh_rotation: Literal["ROTATE", "STATIC"] = "ROTATE",
        post_logout_redirect_uris: Iterable[str] = (),
        dpop_bound_access_tokens: bool = False,
    ) -> SandboxApp:
        """Register an OIDC SPA app (public client, PKCE required, rotating refresh tokens).

        ``granted_scopes`` are the app's Okta API scope grants (okta.*); OIDC scopes
        (openid, offline_access, ...) are always allowed. ``refresh_leeway_seconds``
        must be 0-60 as in Okta (G-RT). ``dpop_bound_access_tokens`` makes the token endpoint
        require DPoP proofs (Okta guide docs/guides/dpop).
        """
        if not 0 <= refresh_leeway_seconds <= 60:
            raise ValueError("refresh_leeway_seconds must be between 0 and 60 (Okta's range)")
        with self._lock:
            app = SandboxApp(
                client_id=client_id or self._new_client_id(),
                name=name,
                redirect_uris=list(redirect_uris),
                granted_scopes=frozenset(granted_scopes),
                assign_everyone=assign_everyone,
                assigned_logins=set(assigned_logins),
                refresh_leeway_seconds=refresh_leeway_seconds,
                access_token_lifetime_seconds=access_token_lifetime_seconds,
                refresh_rotation=refresh_rotation,
                post_logout_redirect_uris=list(post_logout_redirect_uris),
                dpop_bound_access_tokens=dpop_bound_access_tokens,
            )
            self._apps[app.client_id] = app
            self._changed("application.lifecycle.create", client_id=app.client_id)
            return replace(app)

    def _new_client_id(self) -> str:
        client_id = okta_id(CLIENT_PREFIX, self._rng)
        while client_id in self._apps:
            client_id = okta_id(CLIENT_PREFIX, self._rng)
        return client_id

    def update_app(self, client_id: str, **changes: Any) -> SandboxApp:
        """Change a registered app's settings (same names as :meth:`register_app`); returns a copy."""
        unknown = set(changes) - _UPDATABLE_APP_FIELDS
        if unknown:
            raise ValueError(f"Unknown app settings: {sorted(unknown)}")
        with self._lock:
            app = self._apps.get(client_id)
            if app is None:
                raise KeyError(client_id)
            for key, value in changes.items():
                if key in _BOOLEAN_FIELDS and not isinstance(value, bool):
                    raise ValueError(f"{key} must be true or false")
                if key == "granted_scopes":
                    value = frozenset(value)
                elif key == "assigned_logins":
                    value = set(value)
                elif key in ("redirect_uris", "post_logout_redirect_uris"):
                    value = list(value)
                setattr(app, key, value)
            self._changed("application.lifecycle.update", client_id=client_id)
            return replace(app)

    def set_dpop_required(self, client_id: str | None = None, required: bool = True) -> SandboxApp:
        """Require (or stop requiring) DPoP at the token endpoint for an app (default: the default app)."""
        return self.update_app(client_id or self._default_client_id, dpop_bound_access_tokens=bool(required))

    def get_app(self, client_id: str) -> SandboxApp | None:
        """A copy of the registered app, or ``None``."""
        with self._lock:
            app = self._apps.get(client_id)
            return replace(app) if app is not None else None

    def apps(self) -> list[SandboxApp]:
        """Copies of every registered app."""
        with self._lock:
            return [replace(app) for app in self._apps.values()]

    def require_client(self, client_id: str | None) -> SandboxApp:
        """The app for ``client_id`` or a 401 ``invalid_client`` (checked before anything else)."""
        if not client_id:
            raise OAuthError(401, "invalid_client", errors.NO_CLIENT_CREDENTIALS)
        with self._lock:
            app = self._apps.get(client_id)
            if app is None:
                raise OAuthError(401, "invalid_client", errors.INVALID_CLIENT)
            return app


def app_to_json(app: SandboxApp) -> dict[str, Any]:
    """A registered app as JSON (sets become sorted lists)."""
    data = asdict(app)
    data["granted_scopes"] = sorted(app.granted_scopes)
    data["assigned_logins"] = sorted(app.assigned_logins)
    return data
