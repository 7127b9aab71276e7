"""What can go wrong with the Okta connection, in the admin's words: connect problems (with the
wizard step that fixes each) and the reasons a stored grant stops working."""

from __future__ import annotations

from webapp.sources.okta.api import DPOP_ERROR
from webapp.sources.okta.dpop import DPOP_HINT, DPOP_SETTING, INVALID_DPOP_PROOF, USE_DPOP_NONCE
from webapp.sources.okta.errors import (
    InsufficientScopeError,
    OktaApiError,
    OktaError,
    OktaOAuthError,
    OktaRateLimitedError,
    OktaUnreachableError,
)
from webapp.sources.okta.wizard import (
    STEP_ASSIGNMENTS,
    STEP_CLIENT_ID,
    STEP_CONNECT,
    STEP_SCOPES,
)

NOT_ADMIN = "not_admin"
NOT_ADMIN_MESSAGE = "Sign in to Okta as an admin (a read-only admin is enough) and connect again."
DPOP_FAILED = DPOP_ERROR
RATE_LIMITED = "rate_limited"
# Okta's "You do not have permission to perform the requested action" (FACTS §4): the token is
# valid, but the Okta user who consented is not an admin, and okta.* scopes act within that user's
# own permissions (https://developer.okta.com/docs/guides/implement-oauth-for-okta/main/).
NOT_ADMIN_ERROR_CODE = "E0000006"

# Refresh errors after which the stored grant can never work again.
GRANT_LOST_ERRORS = {
    "invalid_grant": (
        "Okta no longer accepts Signet's refresh token (it was revoked, expired or reused). "
        "Reconnect Okta in Setup."
    ),
    "invalid_client": (
        "Okta no longer recognises Signet's app (its Client ID): it may have been deleted or deactivated "
        "in Okta. Check the app, then reconnect Okta in Setup."
    ),
    "unauthorized_client": (
        "Okta no longer lets Signet's app use refresh tokens: tick the Refresh Token grant type on the "
        "app's General tab, then reconnect Okta in Setup."
    ),
}
DPOP_NOW_REQUIRED = (
    "Okta now requires DPoP for Signet's app, but Signet's tokens were issued without it. "
    f"Reconnect Okta in Setup (or untick the app's “{DPOP_SETTING}” setting)."
)
UNREADABLE_TOKENS = (
    "Signet's stored Okta tokens can't be decrypted (the encryption key changed). Reconnect Okta in Setup."
)


class ConnectProblem(Exception):
    """A failure of the connect flow, with the wizard step that fixes it."""

    def __init__(self, code: str, message: str, *, step: int | None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.step = step


def problem_from_authorize_error(error: str, description: str) -> ConnectProblem:
    """Map Okta's `error` on the callback to a message and the step that fixes it."""
    detail = f" (Okta said: “{description[:200]}”)" if description else ""
    lowered = description.lower()
    if error == "access_denied" and "assigned" in lowered:
        return ConnectProblem(
            "not_assigned",
            "Okta refused because your Okta user is not assigned to the Signet app. In step 6, choose "
            "“Allow everyone in your organization to access” and Save, then connect again." + detail,
            step=STEP_ASSIGNMENTS,
        )
    if error == "access_denied":
        return ConnectProblem(
            "access_denied",
            "Okta reported that access was denied: Deny was clicked, or your user is not assigned to the "
            "app (step 6). Connect again and click Allow." + detail,
            step=STEP_ASSIGNMENTS,
        )
    if error == "invalid_scope":
        return ConnectProblem(
            "invalid_scope",
            "Okta refused the requested scopes: grant okta.users.read and okta.schemas.read on the app's "
            "Okta API Scopes tab (step 9), then connect again." + detail,
            step=STEP_SCOPES,
        )
    if error in {"invalid_client", "unauthorized_client"}:
        return ConnectProblem(
            "invalid_client", "Okta doesn't recognise the Client ID (step 7)." + detail, step=STEP_CLIENT_ID
        )
    return ConnectProblem(
        error[:64] or "okta_error",
        f"Okta stopped the sign-in with “{error}”{detail}. Try connecting again.",
        step=STEP_CONNECT,
    )


def problem_from_exchange_error(error: OktaError) -> ConnectProblem:
    """Map a failed code exchange (token endpoint) to a problem."""
    if isinstance(error, OktaOAuthError):
        if error.error == "invalid_client":
            return problem_from_authorize_error("invalid_client", error.description)
        said = error.description or error.error
        if error.error in {INVALID_DPOP_PROOF, USE_DPOP_NONCE} or error.dpop_required:
            return ConnectProblem(
                DPOP_FAILED,
                f"Okta would not exchange the sign-in for tokens (“{said}”). {DPOP_HINT}",
                step=STEP_CONNECT,
            )
        return ConnectProblem(
            error.error[:64],
            f"Okta would not exchange the sign-in for tokens (“{said}”). Click Connect Okta to try again.",
            step=STEP_CONNECT,
        )
    if isinstance(error, OktaRateLimitedError):
        return ConnectProblem(RATE_LIMITED, str(error), step=STEP_CONNECT)
    return ConnectProblem("okta_unreachable", f"{error} Try connecting again.", step=STEP_CONNECT)


def problem_from_check_error(error: OktaError) -> ConnectProblem:
    """Map a failed check of the grant (users and schema) to a problem."""
    if isinstance(error, InsufficientScopeError):
        return ConnectProblem(
            "scope_not_granted",
            f"Okta refused to let Signet read with {error.scope}: grant it on the app's Okta API Scopes "
            "tab (step 9), then connect again.",
            step=STEP_SCOPES,
        )
    if isinstance(error, OktaApiError) and error.error_code == NOT_ADMIN_ERROR_CODE:
        return ConnectProblem(NOT_ADMIN, NOT_ADMIN_MESSAGE, step=STEP_CONNECT)
    if isinstance(error, OktaApiError) and error.error_code == DPOP_FAILED:
        return ConnectProblem(DPOP_FAILED, str(error), step=STEP_CONNECT)
    if isinstance(error, OktaRateLimitedError):
        return ConnectProblem(RATE_LIMITED, str(error), step=STEP_CONNECT)
    if isinstance(error, OktaApiError):
        return ConnectProblem(
            "verify_failed", f"Okta answered the check with an error: {error}", step=STEP_CONNECT
        )
    if isinstance(error, OktaUnreachableError):
        return ConnectProblem("okta_unreachable", f"{error} Try again.", step=STEP_CONNECT)
    return ConnectProblem(
        "verify_failed", f"Signet could not check the connection: {error}", step=STEP_CONNECT
    )
