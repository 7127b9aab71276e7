"""Okta's two error shapes: OAuth errors and Management API error objects."""

from __future__ import annotations

from typing import Any

from okta_sandbox.ids import error_id


class OAuthError(Exception):
    """An OAuth endpoint error: ``{"error": ..., "error_description": ...}`` (SPEC-O ``OAuthError``)."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        """The JSON body Okta sends."""
        return {"error": self.error, "error_description": self.description}


class ApiError(Exception):
    """A Management API error object (SPEC-M ``Error``, FACTS.md §4)."""

    def __init__(self, status: int, code: str, summary: str, causes: list[str] | None = None) -> None:
        super().__init__(f"{status} {code}: {summary}")
        self.status = status
        self.code = code
        self.summary = summary
        self.causes = causes or []

    def body(self) -> dict[str, Any]:
        """The JSON body Okta sends; ``errorLink`` repeats ``errorCode`` as in real responses."""
        return {
            "errorCode": self.code,
            "errorSummary": self.summary,
            "errorLink": self.code,
            "errorId": error_id(),
            "errorCauses": [{"errorSummary": cause} for cause in self.causes],
        }


# Exact texts from FACTS.md §1 (SPEC-O examples) and §4 (SPEC-M examples).
INVALID_CLIENT = "Invalid value for the `client_id` parameter"
# Discovery's 400 is an Okta error object with its own wording (SPEC-O ErrorInvalidClientId).
DISCOVERY_INVALID_CLIENT = "Invalid value for `client_id` parameter"
NO_CLIENT_CREDENTIALS = "No client credentials found"
INVALID_CODE = "The authorization code is invalid or has expired."
CODE_OTHER_CLIENT = (
    "The grant was issued to another client. "
    "Ensure that the `client_id` matches the one used at the authorize request."
)
# Not verified in a primary source (FACTS.md §1); the commonly reported text.
INVALID_REFRESH = "The refresh token is invalid or expired."
PKCE_FAILED = "PKCE verification failed."
UNSUPPORTED_GRANT = "The grant type in the request isn't supported."
UNSUPPORTED_RESPONSE_TYPE = "The response type contained in the request isn't supported."
UNSUPPORTED_RESPONSE_MODE = (
    "The response mode isn't supported by the authorization server. "
    "Valid response modes: [`query`, `fragment`, `form_post`, `okta_post_message`]."
)
NO_SCOPES = "No scopes were requested."
SCOPE_NOT_CONFIGURED = "One or more scopes are not configured for the authorization server resource."
NEED_OPENID = "Requests for ID tokens or access tokens with OpenID scopes require the `openid` scope."
USER_NOT_ASSIGNED = "User is not assigned to the client application."
CONSENT_DENIED = "The resource owner or authorization server denied the request."
PKCE_REQUIRED = "PKCE code challenge is required when the token endpoint authentication method is 'NONE'."
BAD_CHALLENGE_METHOD = "The code_challenge_method is invalid. Only 'S256' is supported."
MISSING_TOKEN = "The `token` parameter is required."  # noqa: S105 - an error text, not a secret
REDIRECT_MISMATCH = "The 'redirect_uri' does not match the redirection URI used in the authorization request."

INVALID_TOKEN_SUMMARY = "Invalid token provided"  # noqa: S105 - an error text, not a secret
RATE_LIMIT_SUMMARY = "API call exceeded rate limit due to too many requests."
FORBIDDEN_SUMMARY = "You do not have permission to perform the requested action"
INVALID_SEARCH_SUMMARY = "Invalid search criteria."


def not_found(resource: str, kind: str) -> ApiError:
    """404 ``E0000007`` as recorded from the real API (VCR ``error_404_E0000007.json``)."""
    return ApiError(404, "E0000007", f"Not found: Resource not found: {resource} ({kind})")
