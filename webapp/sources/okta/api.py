"""A small Okta Management API client (Users and Schemas) on top of the token service."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx

from webapp.sources.okta.errors import (
    InsufficientScopeError,
    OktaApiError,
    OktaError,
    OktaRateLimitedError,
    OktaUnreachableError,
)
from webapp.sources.okta.oauth import seconds_until_reset
from webapp.sources.okta.tokens import TokenService

PAGE_LIMIT = 200  # Okta's maximum page size for /api/v1/users (FACTS §2)
SCOPE_IN_CHALLENGE = re.compile(r'scope="([^"]+)"')


class OktaApi:
    """Calls `{origin}/api/v1/...` with a bearer token from the token service."""

    def __init__(self, *, origin: str, tokens: TokenService, http: httpx.Client) -> None:
        self.origin = origin
        self._tokens = tokens
        self._http = http

    def get(self, path_or_url: str, *, params: dict[str, Any] | None = None) -> httpx.Response:
        """GET an API resource; a 401 triggers one refresh and one retry.

        Raises `InsufficientScopeError` for a 403 naming a missing scope, `OktaRateLimitedError` for a
        429, `OktaApiError` for other errors.
        """
        url = path_or_url if path_or_url.startswith(("http://", "https://")) else self.origin + path_or_url
        if not url.startswith(self.origin + "/"):
            # Link headers come from the network: never send the bearer token to another host.
            raise OktaApiError("Okta pointed Signet at another host; refusing to follow it.", status=0)
        token = self._tokens.access_token()
        response = self._send(url, token, params)
        if response.status_code == 401:
            token = self._tokens.access_token_after_unauthorized(token)
            response = self._send(url, token, params)
        if response.status_code >= 400:
            raise _api_error(response)
        return response

    def _send(self, url: str, token: str, params: dict[str, Any] | None) -> httpx.Response:
        try:
            return self._http.get(
                url, params=params, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
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

    def count_users(self, *, max_pages: int = 25) -> tuple[int, bool]:
        """How many users Okta lists (not DEPROVISIONED ones); `True` as second value when the count
        stopped at `max_pages` pages and is a lower bound."""
        total = 0
        for number, page in enumerate(self.iter_user_pages(), start=1):
            total += len(page)
            if number >= max_pages and len(page) == PAGE_LIMIT:
                return total, True
        return total, False

    def user_schema(self) -> dict[str, Any]:
        """The default user schema (base and custom attributes)."""
        body = self.get("/api/v1/meta/schemas/user/default").json()
        if not isinstance(body, dict):
            raise OktaApiError("Okta returned the user schema in an unexpected shape.", status=200)
        return body


def _api_error(response: httpx.Response) -> OktaError:
    if response.status_code == 429:
        wait = seconds_until_reset(response)
        return OktaRateLimitedError(
            f"Okta's rate limit was reached; it resets in {int(wait)} s.", retry_after=wait
        )
    challenge = response.headers.get("www-authenticate", "")
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
    return OktaApiError(summary, status=response.status_code, error_code=str(code) if code else None)
