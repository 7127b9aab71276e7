"""Plain records held by :class:`okta_sandbox.OktaSandbox`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

USER_STATUSES: tuple[str, ...] = (
    "ACTIVE",
    "DEPROVISIONED",
    "LOCKED_OUT",
    "PASSWORD_EXPIRED",
    "PROVISIONED",
    "RECOVERY",
    "STAGED",
    "SUSPENDED",
)


@dataclass(slots=True, eq=False)
class UserRecord:
    """One Okta user; ``profile`` holds base and custom attributes (unset ones absent)."""

    id: str
    status: str
    created: datetime
    activated: datetime | None
    status_changed: datetime | None
    last_login: datetime | None
    last_updated: datetime
    password_changed: datetime | None
    type_id: str
    profile: dict[str, Any]
    password: str
    # Okta's ``transitioningToStatus``: the target of a lifecycle change still in progress
    # (ACTIVE, DEPROVISIONED or PROVISIONED; SPEC-M ``User``). Sent only while set.
    transitioning_to_status: str | None = None
    # Serialised list-form JSON (``_links.self`` only), rebuilt lazily after a change.
    list_json: bytes | None = None
    # Serialised state-file form (okta_sandbox.state_codec.encode_user), also rebuilt lazily.
    # Whatever changes a user must reset both (UsersMixin._touch does).
    state_json: bytes | None = None


@dataclass(slots=True)
class SandboxApp:
    """A registered OIDC Single-Page App (public client, PKCE, rotating refresh tokens)."""

    client_id: str
    name: str
    redirect_uris: list[str]
    granted_scopes: frozenset[str]
    assign_everyone: bool = True
    assigned_logins: set[str] = field(default_factory=set)
    refresh_leeway_seconds: int = 30
    access_token_lifetime_seconds: int = 3600
    refresh_token_lifetime_seconds: int = 90 * 24 * 3600
    # "ROTATE" is the SPA default; "STATIC" keeps the same refresh token (SPEC-M
    # OpenIdConnectRefreshTokenRotationType, FACTS.md §1).
    refresh_rotation: str = "ROTATE"
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    # "Require Demonstrating Proof of Possession (DPoP) header in token requests" (SPEC-M
    # OpenIdConnectApplicationSettingsClient.dpop_bound_access_tokens; Okta guide docs/guides/dpop).
    dpop_bound_access_tokens: bool = False

    def is_assigned(self, login: str) -> bool:
        """Whether the user with ``login`` is assigned to this app."""
        return self.assign_everyone or login.lower() in {entry.lower() for entry in self.assigned_logins}


@dataclass(slots=True)
class AuthorizeRequest:
    """A validated ``/authorize`` request waiting for sign-in and consent."""

    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    created: datetime


@dataclass(slots=True)
class AuthorizationCode:
    """A single-use authorization code (lifetime 300 s, SPEC-O ``TokenRequestAuthorizationCode``)."""

    code: str
    client_id: str
    redirect_uri: str
    user_id: str
    scopes: tuple[str, ...]
    nonce: str | None
    code_challenge: str | None
    expires_at: datetime
    used: bool = False


@dataclass(slots=True)
class TokenFamily:
    """All tokens minted from one authorization code (one grant), for reuse detection."""

    family_id: str
    client_id: str
    user_id: str
    scopes: tuple[str, ...]
    refresh_expires_at: datetime
    revoked: bool = False
    access_tokens: list[str] = field(default_factory=list)
    refresh_tokens: list[str] = field(default_factory=list)
    # The DPoP key thumbprint the family is bound to: refreshes need a proof from that key.
    dpop_jkt: str | None = None


@dataclass(slots=True)
class AccessTokenRecord:
    """An issued access token (the JWT string is the key)."""

    jti: str
    family_id: str | None
    client_id: str
    user_id: str
    scopes: frozenset[str]
    expires_at: datetime
    revoked: bool = False
    # ``cnf.jkt`` of a DPoP-bound token (RFC 9449 §6.1); ``None`` for a Bearer token.
    jkt: str | None = None


@dataclass(slots=True)
class RefreshTokenRecord:
    """An issued refresh token; ``first_used`` starts the rotation leeway."""

    token: str
    family_id: str
    first_used: datetime | None = None
    revoked: bool = False


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request that reached the sandbox (control API calls are not recorded)."""

    at: datetime
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    status: int
    fault: str | None = None

    @property
    def grant_type(self) -> str | None:
        """The ``grant_type`` form field, if any."""
        return self.form.get("grant_type")


@dataclass(slots=True)
class Fault:
    """A fault injected for the next ``remaining`` matching requests."""

    kind: str
    remaining: int
    path_prefix: str | None
    status: int | None
    latency_seconds: float
