"""Who may call a protected resource: Bearer and DPoP access tokens, scopes, admin rights.

Management API errors follow FACTS.md §4 and §8: an unusable token is 401 ``E0000011``; a token
without the scope is 403 with an empty body and an ``insufficient_scope`` challenge. For DPoP
(RFC 9449 §7) the challenge starts ``DPoP algs="RS256 RS384 RS512 ES256 ES384 ES512"``
(terraform-provider-okta#2375), a bad proof is 400 with an empty body and
``error="invalid_dpop_proof"`` (okta-sdk-golang#468, okta-sdk-dotnet#852), and a stale nonce is
401 ``use_dpop_nonce`` with a fresh ``DPoP-Nonce`` (RFC 9449 §9).
"""

from __future__ import annotations

from flask import Response, request

from okta_sandbox import errors
from okta_sandbox.dpop import DPOP_ALGS_CHALLENGE, KEY_BINDING, DPoPError
from okta_sandbox.errors import ApiError
from okta_sandbox.http_util import api_error_response, authorization_credentials, proof_context, sandbox_of
from okta_sandbox.models import AccessTokenRecord

INVALID_TOKEN_DESCRIPTION = "The access token is invalid."  # noqa: S105 - an error text
INSUFFICIENT_SCOPE_DESCRIPTION = "The access token provided does not contain the required scopes."


def challenge(scope: str, *, dpop: bool, error: str, description: str) -> str:
    """Okta's ``WWW-Authenticate`` value: scheme, authorization URI, realm, scope, error, resource."""
    origin = sandbox_of().origin
    prefix = f"{DPOP_ALGS_CHALLENGE}, " if dpop else "Bearer "
    return (
        f'{prefix}authorization_uri="{origin}/oauth2/v1/authorize", realm="{origin}", scope="{scope}", '
        f'error="{error}", error_description="{description}", resource="{request.path}"'
    )


def invalid_token(scope: str, *, dpop: bool, description: str = INVALID_TOKEN_DESCRIPTION) -> Response:
    """401 ``E0000011`` "Invalid token provided" (SPEC-M ErrorInvalidTokenProvided)."""
    header = challenge(scope, dpop=dpop, error="invalid_token", description=description)
    error = ApiError(401, "E0000011", errors.INVALID_TOKEN_SUMMARY)
    return api_error_response(error, {"WWW-Authenticate": header})


def presented_token() -> tuple[str, str, AccessTokenRecord | None]:
    """``(scheme, token, live record or None)`` from ``Authorization: Bearer|DPoP <token>``."""
    scheme, token = authorization_credentials()
    if scheme not in ("bearer", "dpop") or not token:
        return scheme, token, None
    return scheme, token, sandbox_of().check_access_token(token)


def check_binding(scheme: str, token: str, record: AccessTokenRecord, scope: str) -> Response | None:
    """``None`` when the token is used as bound: Bearer as Bearer, DPoP as DPoP with a good proof."""
    if record.jkt is None:
        # A Bearer token sent with the DPoP scheme is not bound to any key.
        return invalid_token(scope, dpop=True) if scheme == "dpop" else None
    if scheme != "dpop":
        # RFC 9449 §7.2: a DPoP-bound token must not be accepted as a Bearer token.
        return invalid_token(scope, dpop=True)
    try:
        proof = sandbox_of().verify_dpop_proof(proof_context(), require_nonce=False, access_token=token)
    except DPoPError as exc:
        response = Response(b"", status=exc.status)
        response.headers["WWW-Authenticate"] = challenge(
            scope, dpop=True, error=exc.error, description=exc.description
        )
        if exc.nonce is not None:
            response.headers["DPoP-Nonce"] = exc.nonce
        return response
    if proof.jkt != record.jkt:
        # RFC 9449 §7.1: the proof is valid but its key is not the one the token is bound to.
        return invalid_token(scope, dpop=True, description=KEY_BINDING)
    return None


def authorize_request(scope: str) -> tuple[str | None, Response | None]:
    """``(token user id, None)``, or ``(None, the 400/401/403 response)`` for the required ``scope``."""
    sandbox = sandbox_of()
    scheme, token, record = presented_token()
    if record is None:
        # Missing, unknown, expired or revoked: 401 E0000011 (SPEC-M ErrorInvalidTokenProvided).
        return None, invalid_token(scope, dpop=scheme == "dpop")
    denied = check_binding(scheme, token, record, scope)
    if denied is not None:
        return None, denied
    if scope not in record.scopes:
        # Valid token without the scope: 403, empty body, insufficient_scope (okta-sdk-golang#145).
        response = Response(b"", status=403)
        response.headers["WWW-Authenticate"] = challenge(
            scope,
            dpop=record.jkt is not None,
            error="insufficient_scope",
            description=INSUFFICIENT_SCOPE_DESCRIPTION,
        )
        return None, response
    if not sandbox.is_admin(record.user_id):
        # okta.* scopes only act within the user's own admin permissions (G-OAUTH).
        return None, api_error_response(ApiError(403, "E0000006", errors.FORBIDDEN_SUMMARY))
    return record.user_id, None
