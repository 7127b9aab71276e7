"""A small Okta Management API client (Users and Schemas).

Its access token comes from a `CredentialSource`: the token service for the stored connection, or
`FixedCredentials` for a new grant that is checked before it replaces the stored one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from webapp.sources.okta.dpop import DPOP_HINT, INVALID_DPOP_PROOF, DpopKey, is_dpop_challenge
from webapp.sources.okta.errors import (
    InsufficientScopeError,
    OktaApiError,
    OktaError,
    OktaForeignLinkError,
    OktaUnreachableError,
)
from webapp.sources.okta.http import rate_limited_error, request_extensions

PAGE_LIMIT = 200  # Okta's maximum page size for /api/v1/users (FACTS §2)
SCOPE_IN_CHALLENGE = re.compile(r'scope="([^"]+)"')
DPOP_ERROR = "dpop_failed"  # `OktaApiError.error_code` when Okta refused the DPoP proof


@dataclass(frozen=True)
class Credentials:
    """An access token, and the DPoP key it is bound to (None for a Bearer token)."""

    access_token: str
    dpop_key: DpopKey | None = None

    @property
    def authorization(self) -> str:
        """The `Authorization` header value (RFC 9449 §7.1 for DPoP)."""
        scheme = "DPoP" if self.dpop_key is not None else "Bearer"
        return f"{scheme} {self.access_token}"


class CredentialSource(Protocol):
    """Where `OktaApi` gets its access token: the token service, or a grant not stored yet."""

    def credentials(self) -> Credentials:
        """Credentials to use now."""
        ...

    def credentials_after_unauthorized(self, rejected: Credentials) -> Credentials | None:
        """Newer credentials after Okta answered 401 to `rejected`; None if there are none."""
        ...


class FixedCredentials:
    """The tokens of a grant being verified before it is stored: no refresh, no retry after a 401."""

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    def credentials(self) -> Credentials:
        """The one set of credentials."""
        return self._credentials

    def credentials_after_unauthorized(self, rejected: Credentials) -> Credentials | None:
        """Nothing newer exists."""
        return None


class OktaApi:
    """Calls `{origin}/api/v1/...` with an access token from `tokens`.

    `max_wait` bounds how long one call may wait for Okta's rate limit (and retry); None means the
    transport's default, fit for a page an admin is waiting for. A sync job passes a longer one.
    """

    def __init__(
        self, *, origin: str, tokens: CredentialSource, http: httpx.Client, max_wait: float | None = None
    ) -> None:
        self.origin = origin
        self._tokens = tokens
        self._http = http
        self._max_wait = max_wait

    def get(
        self,
        path_or_url: str,
        *,
        params: dict[str, Any] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """GET an API resource; a 401 triggers one refresh and one retry. `extensions` adds
        transport options for this call (`http.OBSERVER`, `http.RESERVE`).

        Raises `InsufficientScopeError` for a 403 naming a missing scope, `OktaRateLimitedError` for a
        429 that outlasted `max_wait`, `OktaApiError` for other errors.
        """
        url = path_or_url if path_or_url.startswith(("http://", "https://")) else self.origin + path_or_url
        if not url.startswith(self.origin + "/"):
            # Link headers come from the network: never send the bearer token to another host.
            raise OktaForeignLinkError(connected_host=_host(self.origin), link_host=_host(url))
        credentials = self._tokens.credentials()
        response = self._send(url, credentials, params, extensions)
        if response.status_code == 401 and not is_dpop_challenge(response):
            newer = self._tokens.credentials_after_unauthorized(credentials)
            if newer is not None:
                response = self._send(url, newer, params, extensions)
        if response.status_code >= 400:
            raise _api_error(response)
        return response

    def _send(
        self,
        url: str,
        credentials: Credentials,
        params: dict[str, Any] | None,
        extensions: dict[str, Any] | None = None,
    ) -> httpx.Response:
        options = request_extensions(max_wait=self._max_wait, dpop_key=credentials.dpop_key)
        options.update(extensions or {})
        try:
            return self._http.get(
                url,
                params=params,
                headers={"Authorization": credentials.authorization, "Accept": "application/json"},
                extensions=options,
            )
        except httpx.TimeoutException as error:
            raise OktaUnreachableError("Okta did not answer in time.") from error
        except httpx.HTTPError as error:
            raise OktaUnreachableError("Okta could not be reached.") from error

    def iter_user_pages(self, *, params: dict[str, Any] | None = None) -> Iterator[list[dict[str, Any]]]:
        """Pages of `/api/v1/users`, following `Link: rel="next"` as opaque URLs until there is none
        (or it repeats `self`, which Okta sometimes sends on the last page; STYLE §6)."""
        url: str | None = "/api/v1/users"
        query: dict[str, Any] | None = {"limit": PAGE_LIMIT, **(params or {})}
        seen: set[str] = set()
        while url:
            response = self.get(url, params=query)
            body = response.json()
            if not isinstance(body, list):
                raise OktaApiError("Okta returned users in an unexpected shape.", status=response.status_code)
            yield [user for user in body if isinstance(user, dict)]
            next_url = response.links.get("next", {}).get("url")
            self_url = response.links.get("self", {}).get("url")
            if not next_url or next_url == self_url or next_url in seen:
                return
            seen.add(next_url)
            url, query = next_url, None

    def user_schema(self) -> dict[str, Any]:
        """The default user schema (base and custom attributes)."""
        body = self.get("/api/v1/meta/schemas/user/default").json()
        if not isinstance(body, dict):
            raise OktaApiError("Okta returned the user schema in an unexpected shape.", status=200)
        return body


def _host(url: str) -> str:
    """The host (and port) of `url` as shown to an admin: at most 100 printable characters."""
    host = urlsplit(url).netloc or url
    return "".join(char for char in host if char.isprintable())[:100] or "an unnamed host"


def _api_error(response: httpx.Response) -> OktaError:
    if response.status_code == 429:
        return rate_limited_error(response)
    challenge = response.headers.get("www-authenticate", "")
    if is_dpop_challenge(response):
        return OktaApiError(
            f"Okta refused Signet's DPoP proof. {DPOP_HINT}",
            status=response.status_code,
            error_code=DPOP_ERROR,
        )
    if response.status_code == 403 and 'error="insufficient_scope"' in challenge:
        match = SCOPE_IN_CHALLENGE.search(challenge)
        return InsufficientScopeError(match.group(1) if match else "the required okta.* scope")
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    summary = str(body.get("errorSummary") or f"Okta answered HTTP {response.status_code}.")[:300]
    code = body.get("errorCode")
    if response.status_code == 401:
        summary = "Okta rejected Signet's access token."
    if body.get("error") == INVALID_DPOP_PROOF:
        summary, code = f"Okta refused Signet's request without a DPoP proof. {DPOP_HINT}", DPOP_ERROR
    return OktaApiError(summary, status=response.status_code, error_code=str(code) if code else None)
