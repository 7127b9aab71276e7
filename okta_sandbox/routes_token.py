"""The org AS's machine endpoints: discovery, keys, token, revoke, userinfo, logout (FACTS.md §1)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from okta_sandbox import errors, pages
from okta_sandbox.discovery import oidc_metadata
from okta_sandbox.dpop import DPoPError
from okta_sandbox.errors import ApiError, OAuthError
from okta_sandbox.http_util import (
    SESSION_COOKIE,
    json_response,
    oauth_error_response,
    proof_context,
    sandbox_of,
    token_headers,
)
from okta_sandbox.resource_auth import check_binding, presented_token

bp = Blueprint("okta_token", __name__)
# SPEC-O example OAuthError400InvalidRequest_MultipleCredentials.
_MULTIPLE_CREDENTIALS = (
    "Can't supply multiple client credentials. Use one of the following: credentials in the "
    "Authorization header, credentials in the post body, or a `client_assertion` in the post body."
)


@bp.get("/.well-known/openid-configuration")
@bp.get("/.well-known/oauth-authorization-server")
def openid_configuration() -> BaseResponse:
    """Org-AS discovery; an unknown ``?client_id=`` is a 400 Okta error object.

    The RFC 8414 path at the org root serves the same document, ``issuer`` = the origin: SPEC-O
    lists it only for custom servers (FACTS.md §1), but RFC 8414 §3 clients look it up there.
    """
    sandbox = sandbox_of()
    client_id = request.args.get("client_id")
    if client_id is not None and sandbox.get_app(client_id) is None:
        # SPEC-O: 400 Error400InvalidClientId, an Okta error object (not an OAuthError body).
        raise ApiError(400, "invalid_client", errors.DISCOVERY_INVALID_CLIENT)
    return json_response(oidc_metadata(sandbox.origin))


@bp.get("/oauth2/v1/keys")
def keys() -> BaseResponse:
    """The JWKS that verifies every token the sandbox signs."""
    return json_response(sandbox_of().signer.jwks(), headers={"Cache-Control": "max-age=3600"})


@bp.route("/oauth2/v1/token", methods=["OPTIONS"])
def token_preflight() -> BaseResponse:
    """CORS preflight: 204 echoing the origin (SPEC-O ``OPTIONS /oauth2/v1/token``)."""
    response = Response(status=204)
    origin = request.headers.get("Origin")
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Allow-Methods"] = "POST"
    requested = request.headers.get("Access-Control-Request-Headers")
    if requested:
        response.headers["Access-Control-Allow-Headers"] = requested
    response.headers["Access-Control-Max-Age"] = "3600"
    response.headers["Vary"] = "Origin"
    return response


def client_id_from_request() -> str | None:
    """A public client's id: in the body, or as the Basic user name, but not both (SPEC-O)."""
    body_id = request.form.get("client_id")
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        if body_id:
            raise OAuthError(400, "invalid_request", _MULTIPLE_CREDENTIALS)
        return auth.username
    return body_id


@bp.post("/oauth2/v1/token")
def token() -> BaseResponse:
    """``authorization_code`` and ``refresh_token`` grants; the client is checked first."""
    sandbox = sandbox_of()
    form = request.form
    dpop = proof_context()
    try:
        client_id = client_id_from_request()
        # The client is checked before the grant, so a bogus code tells a wrong client id
        # (401 invalid_client) from a right one (400 invalid_grant).
        sandbox.require_client(client_id)
        grant_type = form.get("grant_type")
        body: dict[str, Any]
        if grant_type == "authorization_code":
            body = sandbox.exchange_code(
                client_id=client_id,
                code=form.get("code"),
                redirect_uri=form.get("redirect_uri"),
                code_verifier=form.get("code_verifier"),
                dpop=dpop,
            )
        elif grant_type == "refresh_token":
            body = sandbox.refresh(
                client_id=client_id,
                refresh_token=form.get("refresh_token"),
                scope=form.get("scope"),
                dpop=dpop,
            )
        else:
            raise OAuthError(400, "unsupported_grant_type", errors.UNSUPPORTED_GRANT)
    except DPoPError as exc:
        # use_dpop_nonce carries the nonce to retry with (Okta guide docs/guides/dpop).
        return oauth_error_response(exc, _nonce_header(exc.nonce))
    except OAuthError as exc:
        return oauth_error_response(exc)
    nonce = sandbox.dpop_nonce() if body["token_type"] == "DPoP" else None  # noqa: S105
    # Recorded DPoP token responses carry the current dpop-nonce too (FACTS.md §8 cassettes).
    return json_response(body, 200, {**token_headers(), **_nonce_header(nonce)})


def _nonce_header(nonce: str | None) -> dict[str, str]:
    if nonce is None:
        return {}
    headers = {"DPoP-Nonce": nonce}
    if request.headers.get("Origin"):
        # A browser can only read a response header that CORS exposes (Fetch standard).
        headers["Access-Control-Expose-Headers"] = "DPoP-Nonce"
    return headers


@bp.post("/oauth2/v1/revoke")
def revoke() -> BaseResponse:
    """RFC 7009 revocation: 200 for unknown tokens too."""
    try:
        sandbox_of().revoke_token(client_id=client_id_from_request(), token=request.form.get("token"))
    except OAuthError as exc:
        return oauth_error_response(exc)
    response = Response(status=200)
    for key, value in token_headers().items():
        response.headers[key] = value
    return response


@bp.route("/oauth2/v1/userinfo", methods=["GET", "POST"])
def userinfo() -> BaseResponse:
    """The signed-in user's claims; needs an access token with ``openid``."""
    sandbox = sandbox_of()
    scheme, token, record = presented_token()
    if record is None or "openid" not in record.scopes:
        response = Response(status=401)
        response.headers["WWW-Authenticate"] = (
            'Bearer error="invalid_token", error_description="The access token is invalid."'
        )
        return response
    denied = check_binding(scheme, token, record, "openid")
    if denied is not None:
        return denied
    user = sandbox.get_user(record.user_id)["profile"]
    return json_response(
        {
            "sub": record.user_id,
            "name": user.get("displayName") or f"{user['firstName']} {user['lastName']}",
            "preferred_username": user["login"],
            "given_name": user["firstName"],
            "family_name": user["lastName"],
            "email": user["email"],
            "email_verified": True,
            "locale": user.get("locale"),
            "zoneinfo": user.get("timezone"),
        }
    )


@bp.get("/oauth2/v1/logout")
def logout() -> BaseResponse:
    """End the session; redirect only to a registered ``post_logout_redirect_uri``."""
    sandbox = sandbox_of()
    sandbox.end_session(request.cookies.get(SESSION_COOKIE))
    target = request.args.get("post_logout_redirect_uri")
    allowed = {uri for client in sandbox.apps() for uri in client.post_logout_redirect_uris}
    response: BaseResponse
    if target and target in allowed:
        state = request.args.get("state")
        response = redirect(target + (("?" + urlencode({"state": state})) if state else ""))
    else:
        response = Response(pages.signed_out_page(origin=sandbox.origin), content_type="text/html")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
