"""``/oauth2/v1/authorize``, the sign-in page and the consent page (authorization code only).

Parameters and errors follow SPEC-O ``/oauth2/v1/authorize`` (FACTS.md §1). Errors Okta cannot
trust a redirect for (unknown client, unregistered redirect URI, no state) get an HTML error
page; the others are redirected back with ``error``, ``error_description`` and ``state``.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from flask import Blueprint, Response, redirect, request
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from okta_sandbox import errors, pages
from okta_sandbox.discovery import OKTA_RESPONSE_MODES, OKTA_RESPONSE_TYPES
from okta_sandbox.http_util import SESSION_COOKIE, sandbox_of
from okta_sandbox.models import AuthorizeRequest, SandboxApp
from okta_sandbox.oauth_server import OIDC_SCOPES, OKTA_SCOPES

bp = Blueprint("okta_authorize", __name__)
_HTML = "text/html; charset=utf-8"
# RFC 7636 §4.2: 43-128 characters of [A-Z a-z 0-9 - . _ ~].
_CODE_CHALLENGE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


def error_page(error: str, description: str, status: int = 400) -> BaseResponse:
    """Okta's own error page, for errors that cannot be redirected back to the app."""
    html = pages.error_page(origin=sandbox_of().origin, error=error, description=description)
    return Response(html, status=status, content_type=_HTML)


def redirect_back(uri: str, state: str, **params: str) -> BaseResponse:
    """Back to the app: ``code`` or ``error``/``error_description``, then ``state`` (FACTS.md §1)."""
    separator = "&" if "?" in uri else "?"
    # quote_plus (urlencode's default) gives Okta's "One+or+more+scopes..." encoding.
    return redirect(uri + separator + urlencode({**params, "state": state}), code=302)


@bp.get("/oauth2/v1/authorize")
def authorize() -> BaseResponse:
    """Validate the request, then show sign-in (no session) or consent, or redirect an error."""
    sandbox = sandbox_of()
    args = request.args
    client_id = args.get("client_id", "")
    client = sandbox.get_app(client_id) if client_id else None
    if client is None:
        # Unknown client: Okta shows its own error page; it cannot trust any redirect target.
        return error_page("invalid_client", errors.INVALID_CLIENT)
    redirect_uri = args.get("redirect_uri", "")
    if redirect_uri not in client.redirect_uris:
        return error_page(
            "invalid_request",
            "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings: "
            + f"{sandbox.origin}/admin/app/oidc_client/instance/{client.client_id}#tab-general",
        )
    state = args.get("state")
    if not state:
        # "Okta requires the OAuth 2.0 state parameter on all requests to /authorize" (SPEC-O).
        return error_page("invalid_request", "The authorization request must include a 'state' parameter.")
    problem = _request_problem(args, client)
    if problem is not None:
        return redirect_back(redirect_uri, state, error=problem[0], error_description=problem[1])
    auth_request = AuthorizeRequest(
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        scopes=tuple(dict.fromkeys(args.get("scope", "").split())),
        state=state,
        nonce=args.get("nonce"),
        code_challenge=args.get("code_challenge"),
        code_challenge_method=args.get("code_challenge_method"),
        created=sandbox.clock.now(),
    )
    return _start(auth_request, prompt=set(args.get("prompt", "").split()), login_hint=args.get("login_hint"))


def _request_problem(args: MultiDict[str, str], client: SandboxApp) -> tuple[str, str] | None:
    """The first ``(error, description)`` to redirect back, in Okta's order of checks, or ``None``."""
    response_type = args.get("response_type", "")
    if response_type != "code":
        if response_type in OKTA_RESPONSE_TYPES:
            # An Okta response type the SPA app is not configured for.
            return (
                "unsupported_response_type",
                "The response type is not supported by the authorization server. "
                "Configured response types: [code].",
            )
        return "unsupported_response_type", errors.UNSUPPORTED_RESPONSE_TYPE
    response_mode = args.get("response_mode", "query")
    if response_mode != "query":
        if response_mode in OKTA_RESPONSE_MODES:
            # Valid in Okta, not emulated (see okta_sandbox/README.md).
            return "unsupported_response_mode", "The sandbox only supports response_mode=query."
        return "unsupported_response_mode", errors.UNSUPPORTED_RESPONSE_MODE
    return _scope_problem(args.get("scope", ""), client) or _pkce_problem(args)


def _scope_problem(scope: str, client: SandboxApp) -> tuple[str, str] | None:
    scopes = tuple(dict.fromkeys(scope.split()))
    if not scopes:
        return "invalid_scope", errors.NO_SCOPES
    for item in scopes:
        known = item in OIDC_SCOPES or item in OKTA_SCOPES
        if not known or (item.startswith("okta.") and item not in client.granted_scopes):
            return "invalid_scope", errors.SCOPE_NOT_CONFIGURED
    if "openid" not in scopes and any(s in OIDC_SCOPES - {"openid", "offline_access"} for s in scopes):
        return "access_denied", errors.NEED_OPENID
    return None


def _pkce_problem(args: MultiDict[str, str]) -> tuple[str, str] | None:
    challenge = args.get("code_challenge")
    if not challenge:
        # The SPA is a public client (auth method "none"), so PKCE is mandatory.
        return "invalid_request", errors.PKCE_REQUIRED
    if args.get("code_challenge_method") != "S256":
        return "invalid_request", errors.BAD_CHALLENGE_METHOD
    if not _CODE_CHALLENGE.match(challenge):
        return "invalid_request", "The PKCE code challenge is invalid."
    return None


def _start(auth_request: AuthorizeRequest, *, prompt: set[str], login_hint: str | None) -> BaseResponse:
    """Sign-in page, or straight to consent with a live session (``prompt`` as in SPEC-O)."""
    sandbox = sandbox_of()
    sid = request.cookies.get(SESSION_COOKIE)
    user_id = None if "login" in prompt else sandbox.session_user(sid)
    txn = sandbox.start_transaction(auth_request)
    if user_id is None:
        if "none" in prompt:
            sandbox.finish_transaction(txn)
            return redirect_back(
                auth_request.redirect_uri,
                auth_request.state,
                error="login_required",
                error_description="The client specified not to prompt, but the user is not logged in.",
            )
        client = sandbox.get_app(auth_request.client_id)
        return _sign_in(txn, client.name if client else "", error=None, username=login_hint or "")
    return _after_sign_in(txn, auth_request, user_id, skip_consent="none" in prompt)


def _sign_in(
    txn: str, app_name: str, *, error: str | None, username: str = "", status: int = 200
) -> Response:
    sandbox = sandbox_of()
    html = pages.sign_in_page(
        origin=sandbox.origin,
        action="/login/signin",
        txn=txn,
        app_name=app_name,
        admin_login=sandbox.admin_login,
        admin_password=sandbox.admin_password,
        error=error,
        username=username,
    )
    return Response(html, status=status, content_type=_HTML)


def _after_sign_in(
    txn: str, auth_request: AuthorizeRequest, user_id: str, *, skip_consent: bool
) -> BaseResponse:
    sandbox = sandbox_of()
    client = sandbox.get_app(auth_request.client_id)
    login = sandbox.user_login(user_id)
    if client is None or not client.is_assigned(login):
        return _deny(txn, auth_request, errors.USER_NOT_ASSIGNED)
    if skip_consent:
        return _grant(txn, auth_request, user_id)
    html = pages.consent_page(
        origin=sandbox.origin,
        action="/oauth2/v1/authorize/consent",
        txn=txn,
        app_name=client.name,
        login=login,
        scopes=list(auth_request.scopes),
    )
    return Response(html, content_type=_HTML)


def _deny(txn: str, auth_request: AuthorizeRequest, description: str) -> BaseResponse:
    """End the transaction and redirect back with ``access_denied``."""
    sandbox_of().finish_transaction(txn)
    return redirect_back(
        auth_request.redirect_uri, auth_request.state, error="access_denied", error_description=description
    )


def _grant(txn: str, auth_request: AuthorizeRequest, user_id: str) -> BaseResponse:
    sandbox = sandbox_of()
    sandbox.finish_transaction(txn)
    code = sandbox.issue_code(auth_request, user_id)
    return redirect_back(auth_request.redirect_uri, auth_request.state, code=code)


@bp.post("/login/signin")
def sign_in_submit() -> BaseResponse:
    """Check the credentials; on success start a session (``sid`` cookie) and go on to consent."""
    sandbox = sandbox_of()
    txn = request.form.get("txn", "")
    auth_request = sandbox.get_transaction(txn)
    if auth_request is None:
        return error_page("invalid_request", "The sign-in transaction has expired. Start again from the app.")
    client = sandbox.get_app(auth_request.client_id)
    username = request.form.get("username", "")
    user_id = sandbox.authenticate(username, request.form.get("password", ""))
    if user_id is None:
        return _sign_in(
            txn, client.name if client else "", error="Unable to sign in", username=username, status=401
        )
    response = _after_sign_in(txn, auth_request, user_id, skip_consent=False)
    response.set_cookie(
        SESSION_COOKIE, sandbox.create_session(user_id), httponly=True, samesite="Lax", path="/"
    )
    return response


@bp.post("/oauth2/v1/authorize/consent")
def consent_submit() -> BaseResponse:
    """Allow issues a code and redirects back; Deny redirects ``access_denied``."""
    sandbox = sandbox_of()
    txn = request.form.get("txn", "")
    auth_request = sandbox.get_transaction(txn)
    user_id = sandbox.session_user(request.cookies.get(SESSION_COOKIE))
    if auth_request is None or user_id is None:
        return error_page("invalid_request", "The consent transaction has expired. Start again from the app.")
    if request.form.get("consent") != "allow":
        return _deny(txn, auth_request, errors.CONSENT_DENIED)
    return _grant(txn, auth_request, user_id)
