"""Small helpers shared by the sandbox's route modules."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app, request

from okta_sandbox.dpop import ProofContext
from okta_sandbox.errors import ApiError, OAuthError
from okta_sandbox.sandbox import OktaSandbox

JSON_TYPE = "application/json"
EXTENSION_KEY = "okta_sandbox"
SESSION_COOKIE = "sid"
# Recorded 2026 responses, the token endpoint's included (FACTS.md §8; RFC 6749 §5.1 asks for
# no-store): "Cache-Control: no-cache, no-store", "Pragma: no-cache", "Expires: 0".
NO_CACHE = "no-cache, no-store"
TOKEN_CACHE_HEADERS = {"Cache-Control": NO_CACHE, "Pragma": "no-cache", "Expires": "0"}


def sandbox_of() -> OktaSandbox:
    """The :class:`OktaSandbox` the current Flask app serves."""
    sandbox = current_app.extensions[EXTENSION_KEY]
    assert isinstance(sandbox, OktaSandbox)
    return sandbox


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response from a JSON-able value or already serialised bytes."""
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    response = Response(data, status=status, content_type=JSON_TYPE)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def api_error_response(exc: ApiError, headers: dict[str, str] | None = None) -> Response:
    """An Okta error object response (SPEC-M ``Error``)."""
    return json_response(exc.body(), exc.status, headers)


def token_headers() -> dict[str, str]:
    """Headers of every token/revoke response: no caching, and CORS for the request's origin."""
    headers = dict(TOKEN_CACHE_HEADERS)
    origin = request.headers.get("Origin")
    if origin:
        # "This endpoint always returns CORS headers with the current origin." (SPEC-O)
        headers["Access-Control-Allow-Origin"] = origin
        headers["Vary"] = "Origin"
    return headers


def oauth_error_response(exc: OAuthError, extra: dict[str, str] | None = None) -> Response:
    """``{"error", "error_description"}`` with the token endpoint's headers (SPEC-O ``OAuthError``)."""
    return json_response(exc.body(), exc.status, {**token_headers(), **(extra or {})})


def authorization_credentials() -> tuple[str, str]:
    """``(scheme in lower case, token)`` from the ``Authorization`` header (empty strings if absent)."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return scheme.lower(), value.strip()


def json_body() -> dict[str, Any]:
    """The request's JSON object (``{}`` when there is no body); ``ValueError`` for other JSON."""
    data = request.get_json(silent=True)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError("The request body must be a JSON object")
    return data


def proof_context() -> ProofContext:
    """The request's ``DPoP`` header values, method and URL without the query (RFC 9449 §4.3)."""
    return ProofContext(tuple(request.headers.getlist("DPoP")), request.method, request.base_url)
