"""Errors raised when talking to Okta, each carrying a message an admin can act on."""

from __future__ import annotations


class OktaError(Exception):
    """Base class: something about Okta went wrong; `str(error)` is safe to show (no secrets)."""


class OktaUnreachableError(OktaError):
    """Okta could not be reached (DNS, refused connection, timeout, TLS)."""


class OktaRateLimitedError(OktaError):
    """Okta answered 429; `retry_after` is how many seconds until its window resets."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OktaOAuthError(OktaError):
    """An OAuth error body from /authorize or /token: `{"error": ..., "error_description": ...}`."""

    def __init__(self, error: str, description: str = "", *, status: int | None = None) -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description
        self.status = status
        # True when Okta had asked for DPoP (`invalid_dpop_proof`) before this error: the message
        # then points the admin at the app's DPoP setting.
        self.dpop_required = False


class OktaApiError(OktaError):
    """A Management API error (Okta error object with `errorCode`, `errorSummary`)."""

    def __init__(self, message: str, *, status: int, error_code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code


class OktaForeignLinkError(OktaApiError):
    """A `Link: rel="next"` Okta sent points at another host than the one Signet called."""

    def __init__(self, *, connected_host: str, link_host: str) -> None:
        super().__init__(
            f"Okta's link to the next page of users points to another host, {link_host}, not "
            f"{connected_host}, the Okta domain Signet is connected to, so the sync stopped: Signet "
            f"never sends its access token to another host, and the token was issued for "
            f"{connected_host}. This happens when an org is reached through a custom domain while "
            "Okta builds its links with the org's *.okta.com name (or the other way round). Check "
            "which one Okta uses: if it is your org's *.okta.com domain, reconnect Okta in Setup "
            "with that domain; if you want the custom domain, check that it is set up for the whole "
            "org in Okta's admin console (Customizations > Domain), not only for the sign-in page.",
            status=0,
            error_code="foreign_link",
        )
        self.connected_host = connected_host
        self.link_host = link_host


class InsufficientScopeError(OktaApiError):
    """403 with `WWW-Authenticate: ... error="insufficient_scope"`: the app lacks an okta.* grant."""

    def __init__(self, scope: str) -> None:
        super().__init__(
            f"Okta refused because the app is not granted {scope}.",
            status=403,
            error_code="insufficient_scope",
        )
        self.scope = scope


class NotConnectedError(OktaError):
    """Signet is not connected to Okta (never connected, or disconnected)."""


class NeedsReconnectError(OktaError):
    """The stored grant no longer works (revoked, expired or reused refresh token): reconnect in setup."""
