"""The OAuth pieces of "Connect Okta": authorization URL (PKCE S256), code exchange, refresh, revocation.

Signet is a public client (an Okta single-page app, no secret): `client_id` goes in the form body
and PKCE protects the code (https://developer.okta.com/docs/guides/implement-grant-type/authcodepkce/).
Authlib supplies the PKCE and URL primitives; the HTTP calls are plain httpx (through Signet's Okta
transport, `http.py`) so the token service can control exactly when a rotated refresh token is stored.
A DPoP key, when the app requires DPoP, goes with each call as a request extension (`dpop.py`).
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from webapp.db import utcnow
from webapp.sources.okta.dpop import INVALID_DPOP_PROOF, TOKEN_TYPE_BEARER, TOKEN_TYPE_DPOP, DpopKey
from webapp.sources.okta.errors import OktaError, OktaOAuthError, OktaUnreachableError
from webapp.sources.okta.http import rate_limited_error, request_extensions

# openid for the id_token (nonce check, who connected); offline_access for a refresh token;
# the two okta.* scopes for the Users and Schemas APIs (FACTS §1 "Scopes").
logger = logging.getLogger(__name__)
REQUESTED_SCOPES = ("openid", "offline_access", "okta.users.read", "okta.schemas.read")
REQUIRED_API_SCOPES = ("okta.users.read", "okta.schemas.read")
TOKEN_PATH = "/oauth2/v1/token"  # noqa: S105 - a URL path
REVOKE_PATH = "/oauth2/v1/revoke"
# A refresh gives up after this long (its retries and rate-limit waits included): a retry after a
# lost answer presents the same refresh token again, which only works within Okta's rotation
# leeway (30 s by default; PITFALLS 3.1).
REFRESH_MAX_WAIT = 20.0


@dataclass(frozen=True)
class TokenSet:
    """Tokens from one token-endpoint response."""

    access_token: str
    expires_at: datetime
    refresh_token: str | None
    scopes: frozenset[str]
    id_token: str | None = None
    token_type: str = TOKEN_TYPE_BEARER  # "DPoP" when Okta bound the tokens to Signet's key

    @property
    def dpop_bound(self) -> bool:
        """Whether every use of these tokens needs a DPoP proof."""
        return self.token_type == TOKEN_TYPE_DPOP


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
    *,
    http: httpx.Client,
    origin: str,
    client_id: str,
    redirect_uri: str,
    code: str,
    code_verifier: str,
    dpop_key: DpopKey,
    expect_dpop: bool = False,
) -> TokenSet:
    """Trade an authorization code for tokens.

    Whether the app requires DPoP can't be known beforehand: the exchange is tried the way the last
    connection worked (`expect_dpop`), and once the other way if Okta answers `invalid_dpop_proof`
    (Okta checks the proof before the code, so the code is still unused). `TokenSet.token_type`
    says which way won.
    """
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": client_id,
        "code_verifier": code_verifier,
    }
    first = dpop_key if expect_dpop else None
    try:
        return _token_request(http, origin + TOKEN_PATH, form, dpop_key=first)
    except OktaOAuthError as error:
        if error.error != INVALID_DPOP_PROOF:
            raise
    second = None if first else dpop_key
    try:
        return _token_request(http, origin + TOKEN_PATH, form, dpop_key=second)
    except OktaOAuthError as error:
        error.dpop_required = second is not None
        raise


def refresh_tokens(
    *, http: httpx.Client, origin: str, client_id: str, refresh_token: str, dpop_key: DpopKey | None
) -> TokenSet:
    """Use a refresh token; with rotation, the response carries a new refresh token to store.

    A DPoP-bound grant refreshes with a proof from the same key. Its waits and retries are bounded by
    `REFRESH_MAX_WAIT`, inside Okta's rotation leeway, so a retry after a lost answer still works.
    """
    return _token_request(
        http,
        origin + TOKEN_PATH,
        {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id},
        dpop_key=dpop_key,
        max_wait=REFRESH_MAX_WAIT,
    )


def revoke_token(
    *, http: httpx.Client, origin: str, client_id: str, token: str, hint: str, dpop_key: DpopKey | None = None
) -> None:
    """Revoke a token at Okta (`/oauth2/v1/revoke` answers 200 even for unknown tokens)."""
    try:
        response = http.post(
            origin + REVOKE_PATH,
            data={"token": token, "token_type_hint": hint, "client_id": client_id},
            headers={"Accept": "application/json"},
            extensions=request_extensions(dpop_key=dpop_key),
        )
    except httpx.HTTPError as error:
        raise OktaUnreachableError("Okta could not be reached to revoke the token.") from error
    if response.status_code != 200:
        raise _oauth_error(response)


def revoke_unused_tokens(
    *, http: httpx.Client, origin: str, client_id: str, tokens: TokenSet, dpop_key: DpopKey | None, what: str
) -> None:
    """Revoke tokens Signet got but will never use (its refresh token, which takes its access tokens
    with it, or else the access token). A failure is logged, never raised: `what` names the tokens."""
    token, hint = (
        (tokens.refresh_token, "refresh_token")
        if tokens.refresh_token
        else (tokens.access_token, "access_token")
    )
    try:
        revoke_token(http=http, origin=origin, client_id=client_id, token=token, hint=hint, dpop_key=dpop_key)
    except OktaError as error:
        logger.warning("Could not revoke %s: %s", what, type(error).__name__)


def _token_request(
    http: httpx.Client,
    url: str,
    form: dict[str, str],
    *,
    dpop_key: DpopKey | None,
    max_wait: float | None = None,
) -> TokenSet:
    try:
        response = http.post(
            url,
            data=form,
            headers={"Accept": "application/json"},
            extensions=request_extensions(max_wait=max_wait, dpop_key=dpop_key),
        )
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
    token_type = TOKEN_TYPE_DPOP if str(body.get("token_type", "")).lower() == "dpop" else TOKEN_TYPE_BEARER
    return TokenSet(
        access_token=access_token,
        expires_at=utcnow() + timedelta(seconds=max(0, expires_in)),
        refresh_token=str(refresh_token) if refresh_token else None,
        scopes=frozenset(str(body.get("scope", "")).split()),
        id_token=str(id_token) if id_token else None,
        token_type=token_type,
    )


def _oauth_error(response: httpx.Response) -> Exception:
    if response.status_code == 429:
        return rate_limited_error(response)
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    error = str(body.get("error") or body.get("errorCode") or f"http_{response.status_code}")
    description = str(body.get("error_description") or body.get("errorSummary") or "")
    return OktaOAuthError(error, description[:300], status=response.status_code)


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
