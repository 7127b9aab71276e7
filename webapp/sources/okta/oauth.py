"""The OAuth pieces of "Connect Okta": authorization URL (PKCE S256), code exchange, refresh, revocation.

Signet is a public client (an Okta single-page app, no secret): `client_id` goes in the form body
and PKCE protects the code (https://developer.okta.com/docs/guides/implement-grant-type/authcodepkce/).
Authlib supplies the PKCE and URL primitives; the HTTP calls are plain httpx so the token service
can control exactly when a rotated refresh token is stored.
"""

from __future__ import annotations

import base64
import contextlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from webapp.db import utcnow
from webapp.sources.okta.errors import OktaOAuthError, OktaRateLimitedError, OktaUnreachableError

# openid for the id_token (nonce check, who connected); offline_access for a refresh token;
# the two okta.* scopes for the Users and Schemas APIs (FACTS §1 "Scopes").
REQUESTED_SCOPES = ("openid", "offline_access", "okta.users.read", "okta.schemas.read")
REQUIRED_API_SCOPES = ("okta.users.read", "okta.schemas.read")
TOKEN_PATH = "/oauth2/v1/token"  # noqa: S105 - a URL path
REVOKE_PATH = "/oauth2/v1/revoke"


@dataclass(frozen=True)
class TokenSet:
    """Tokens from one token-endpoint response."""

    access_token: str
    expires_at: datetime
    refresh_token: str | None
    scopes: frozenset[str]
    id_token: str | None = None


@dataclass(frozen=True)
class PkceSecrets:
    """The per-attempt values that must survive the round trip through Okta."""

    state: str
    nonce: str
    code_verifier: str

    @classmethod
    def generate(cls) -> PkceSecrets:
        """Fresh random values (RFC 7636 wants a 43-128 character verifier)."""
        return cls(state=generate_token(43), nonce=generate_token(32), code_verifier=generate_token(64))


def authorization_url(
    *, authorization_endpoint: str, client_id: str, redirect_uri: str, secrets: PkceSecrets
) -> str:
    """The `/oauth2/v1/authorize` URL to send the admin's browser to."""
    return str(
        prepare_grant_uri(
            authorization_endpoint,
            client_id=client_id,
            response_type="code",
            redirect_uri=redirect_uri,
            scope=" ".join(REQUESTED_SCOPES),
            state=secrets.state,
            nonce=secrets.nonce,
            code_challenge=create_s256_code_challenge(secrets.code_verifier),
            code_challenge_method="S256",
        )
    )


def exchange_code(
    *, http: httpx.Client, origin: str, client_id: str, redirect_uri: str, code: str, code_verifier: str
) -> TokenSet:
    """Trade an authorization code for tokens."""
    return _token_request(
        http,
        origin + TOKEN_PATH,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": client_id,
            "code_verifier": code_verifier,
        },
    )


def refresh_tokens(*, http: httpx.Client, origin: str, client_id: str, refresh_token: str) -> TokenSet:
    """Use a refresh token; with rotation, the response carries a new refresh token to store."""
    return _token_request(
        http,
        origin + TOKEN_PATH,
        {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id},
    )


def revoke_token(*, http: httpx.Client, origin: str, client_id: str, token: str, hint: str) -> None:
    """Revoke a token at Okta (`/oauth2/v1/revoke` answers 200 even for unknown tokens)."""
    try:
        response = http.post(
            origin + REVOKE_PATH, data={"token": token, "token_type_hint": hint, "client_id": client_id}
        )
    except httpx.HTTPError as error:
        raise OktaUnreachableError("Okta could not be reached to revoke the token.") from error
    if response.status_code != 200:
        raise _oauth_error(response)


def _token_request(http: httpx.Client, url: str, form: dict[str, str]) -> TokenSet:
    try:
        response = http.post(url, data=form, headers={"Accept": "application/json"})
    except httpx.TimeoutException as error:
        raise OktaUnreachableError("Okta did not answer in time.") from error
    except httpx.HTTPError as error:
        raise OktaUnreachableError("Okta could not be reached.") from error
    if response.status_code != 200:
        raise _oauth_error(response)
    try:
        body = response.json()
        access_token = str(body["access_token"])
        expires_in = int(body.get("expires_in", 3600))
    except (ValueError, KeyError, TypeError) as error:
        raise OktaOAuthError("invalid_response", "Okta's token response could not be read.") from error
    refresh_token = body.get("refresh_token")
    id_token = body.get("id_token")
    return TokenSet(
        access_token=access_token,
        expires_at=utcnow() + timedelta(seconds=max(0, expires_in)),
        refresh_token=str(refresh_token) if refresh_token else None,
        scopes=frozenset(str(body.get("scope", "")).split()),
        id_token=str(id_token) if id_token else None,
    )


def _oauth_error(response: httpx.Response) -> Exception:
    if response.status_code == 429:
        return OktaRateLimitedError(
            "Okta's rate limit was reached; try again shortly.", retry_after=seconds_until_reset(response)
        )
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    error = str(body.get("error") or body.get("errorCode") or f"http_{response.status_code}")
    description = str(body.get("error_description") or body.get("errorSummary") or "")
    return OktaOAuthError(error, description[:300], status=response.status_code)


def seconds_until_reset(response: httpx.Response, *, minimum: float = 1.0) -> float:
    """Seconds until `X-Rate-Limit-Reset` (UTC epoch seconds), judged against Okta's `Date` header.

    The header can appear more than once; the smallest value wins (PITFALLS 4.5).
    https://developer.okta.com/docs/reference/rl-best-practices/
    """
    values = [v.strip() for v in response.headers.get_list("x-rate-limit-reset") for v in v.split(",")]
    resets = [int(v) for v in values if v.isdigit()]
    if not resets:
        return 60.0
    now = utcnow().timestamp()
    server_date = response.headers.get("date")
    if server_date:
        from email.utils import parsedate_to_datetime

        with contextlib.suppress(TypeError, ValueError):
            now = parsedate_to_datetime(server_date).timestamp()
    return max(minimum, min(resets) - now)


def unverified_claims(jwt: str) -> dict[str, Any]:
    """The claims of a JWT received straight from Okta's token endpoint over TLS.

    Used only to read who connected (`sub`) and to compare the nonce; the token itself is checked by
    Okta on every API call (OIDC Core 3.1.3.7 allows TLS in place of signature checks here).
    """
    try:
        payload = jwt.split(".")[1]
        padded = payload + "=" * (-len(payload) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}
