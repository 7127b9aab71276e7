"""The sandbox org: users, schema, apps, tokens, limits and faults, with no HTTP.

:class:`OktaSandbox` composes one mixin per area (see :mod:`okta_sandbox.core` for the map);
all state sits behind one lock. The HTTP layer (:mod:`okta_sandbox.server`) and the control API
call into it; pytest fixtures use it directly. Rules cite FACTS.md
(``/work/shared/okta/FACTS.md``) and the Okta sources it names.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from authlib.oauth2.rfc7636 import create_s256_code_challenge

from okta_sandbox.apps import DEFAULT_APP_SCOPES, DEFAULT_REDIRECT_URI, app_to_json
from okta_sandbox.clock import okta_timestamp
from okta_sandbox.event_hooks import EventHooksMixin
from okta_sandbox.faults import FAULT_KINDS, FaultsMixin
from okta_sandbox.limits import (
    DEFAULT_RATE_LIMITS,
    RATE_LIMIT_BUCKETS,
    RATE_LIMIT_FAMILIES,
    RATE_LIMIT_PRESETS,
    RateLimitStatus,
)
from okta_sandbox.oauth_server import (
    CODE_LIFETIME,
    MAX_SESSIONS,
    MAX_TRANSACTIONS,
    OIDC_SCOPES,
    OKTA_SCOPES,
    TXN_LIFETIME,
)
from okta_sandbox.persistence import StateFileMixin
from okta_sandbox.request_log import REQUEST_LOG_SIZE, RequestLogMixin
from okta_sandbox.tokens import ALL_TEST_SCOPES, PRUNE_MIN_ISSUED
from okta_sandbox.user_json import UsersPage
from okta_sandbox.users_api import ADMIN_LOGIN, ADMIN_PASSWORD

__all__ = [
    "ADMIN_LOGIN",
    "ADMIN_PASSWORD",
    "ALL_TEST_SCOPES",
    "CODE_LIFETIME",
    "DEFAULT_APP_SCOPES",
    "DEFAULT_RATE_LIMITS",
    "DEFAULT_REDIRECT_URI",
    "FAULT_KINDS",
    "MAX_SESSIONS",
    "MAX_TRANSACTIONS",
    "OIDC_SCOPES",
    "OKTA_SCOPES",
    "PRUNE_MIN_ISSUED",
    "RATE_LIMIT_BUCKETS",
    "RATE_LIMIT_FAMILIES",
    "RATE_LIMIT_PRESETS",
    "REQUEST_LOG_SIZE",
    "TXN_LIFETIME",
    "OktaSandbox",
    "RateLimitStatus",
    "UsersPage",
    "app_to_json",
    "pkce_challenge",
]


class OktaSandbox(StateFileMixin, EventHooksMixin, FaultsMixin, RequestLogMixin):
    """A thread-safe, in-memory Okta org with seeded users and one SPA app.

    ``origin`` is the org's base URL (issuer, audience, link hosts); :class:`SandboxServer`
    sets it to the address it listens on. With ``state_file``, an existing file is loaded
    instead of seeding (``seed`` and ``users`` are then ignored) and every change is saved to it
    (see :mod:`okta_sandbox.persistence`); call :meth:`close` to save what is pending.
    """

    # The origin the ``Link`` headers of ``GET /api/v1/users`` name, if not ``origin``: an org
    # reached through a custom domain might send its ``*.okta.com`` name in them (a test lever;
    # ``PUT /__sandbox/links``).
    link_origin: str | None = None

    def __init__(
        self,
        *,
        seed: int = 1,
        users: int = 25,
        origin: str = "",
        state_file: str | os.PathLike[str] | None = None,
    ) -> None:
        self._init_core(seed=seed, origin=origin)
        # The order of the seeded draws is fixed: schema and user-type ids, the idp id, the
        # default client id, then the users. Ids then depend on the seed alone.
        self._init_schema()
        self._init_tokens()
        self._init_apps()
        self._init_users()
        self._init_oauth()
        self._init_dpop()
        self._init_limits()
        self._init_faults()
        self._init_request_log()
        self._init_event_hooks()
        self._init_state_file()
        path = Path(state_file) if state_file is not None else None
        loaded = path is not None and path.exists()
        if path is not None and loaded:
            self._load_state_file(path)
        else:
            self._seed_users(users)
            self.register_app(client_id=self._default_client_id, redirect_uris=[DEFAULT_REDIRECT_URI])
        if path is not None:
            self._attach_state_file(path, loaded=loaded)

    @property
    def origin(self) -> str:
        """The org's base URL, e.g. ``http://127.0.0.1:9000`` (the OAuth issuer)."""
        return self._origin

    @origin.setter
    def origin(self, value: str) -> None:
        with self._lock:
            self._origin = value.rstrip("/")
            self._schema_json = None
            for user in self._sorted:
                user.list_json = None

    def describe(self) -> dict[str, Any]:
        """A JSON-able summary: origin, apps, admin sign-in, counts, limits, clock."""
        with self._lock:
            return {
                "origin": self._origin,
                "issuer": self._origin,
                "seed": self.seed,
                "users": len(self._sorted),
                "admin": {"login": self.admin_login, "password": self.admin_password},
                "apps": [app_to_json(app) for app in self._apps.values()],
                "defaultClientId": self.default_app.client_id,
                "rateLimits": dict(self._rate_limits),
                "stateFile": str(self._state_path) if self._state_path is not None else None,
                "clock": {"now": okta_timestamp(self.clock.now()), "frozen": self.clock.frozen},
            }


def pkce_challenge(verifier: str) -> str:
    """The S256 ``code_challenge`` for ``verifier`` (re-exported for clients and tests)."""
    return str(create_s256_code_challenge(verifier))
