"""The sandbox over real HTTP: a small Flask app and a threaded werkzeug server.

Paths, parameters, error bodies and headers follow FACTS.md (§1 OAuth, §2 users, §3 schemas,
§4 rate limits and errors). Everything under ``/__sandbox/`` is the control API
(:mod:`okta_sandbox.control`) and is only mounted when asked for.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from flask import Flask, Response, g, redirect, request
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request as WerkzeugRequest
from werkzeug.wrappers import Response as BaseResponse

from okta_sandbox import errors, pages
from okta_sandbox.errors import ApiError, OAuthError
from okta_sandbox.models import AuthorizeRequest, RequestRecord
from okta_sandbox.sandbox import OIDC_SCOPES, OKTA_SCOPES, OktaSandbox, RateLimitStatus

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

SESSION_COOKIE = "sid"
MAX_LIMIT = 200  # SPEC-M listUsers: "limit ... (maximum 200)", default 200
_CONTROL_PREFIX = "/__sandbox"
_FAULT_KEY = "okta_sandbox.fault"
# RFC 7636 §4.2: 43-128 characters of [A-Z a-z 0-9 - . _ ~].
_CODE_CHALLENGE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_JSON = "application/json"
# SPEC-O OrgASOidcMetadata response_types_supported / response_modes_supported.
OKTA_RESPONSE_TYPES = (
    "code",
    "id_token",
    "code id_token",
    "code token",
    "id_token token",
    "code id_token token",
)
OKTA_RESPONSE_MODES = ("query", "fragment", "form_post", "okta_post_message")


def _json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    response = Response(data, status=status, content_type=_JSON)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _api_error(exc: ApiError, headers: dict[str, str] | None = None) -> Response:
    return _json_response(exc.body(), exc.status, headers)


def rate_limit_family(method: str, path: str) -> str | None:
    """Which per-minute bucket a request counts against (``None``: not rate limited)."""
    if path == "/api/v1/users" and method == "GET":
        return "users_list"
    if path.startswith("/api/v1/users/"):
        return "users_get"
    if path.startswith("/api/v1/"):
        return "schemas"
    if path.startswith(("/oauth2/", "/.well-known/", "/login/")):
        return "oauth2"
    return None


class _FaultMiddleware:
    """Applies ``latency`` and ``drop`` faults below Flask, where a connection can be cut."""

    def __init__(self, app: WSGIApplication, sandbox: OktaSandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(_CONTROL_PREFIX):
            fault = self.sandbox.take_fault(path)
            if fault is not None:
                environ[_FAULT_KEY] = fault
                if fault.kind == "latency":
                    time.sleep(fault.latency_seconds)
                elif fault.kind == "drop":
                    req = WerkzeugRequest(environ)
                    self.sandbox.record_request(_record(req, 0, "drop", self.sandbox))
                    sock = environ.get("werkzeug.socket")
                    if isinstance(sock, socket.socket):
                        # Shut the socket so the client sees EOF at once instead of waiting on
                        # keep-alive; werkzeug then treats the ConnectionError as a dropped client.
                        with contextlib.suppress(OSError):
                            sock.shutdown(socket.SHUT_RDWR)
                    raise ConnectionAbortedError("okta_sandbox: injected dropped connection")
        return self.app(environ, start_response)


def _record(req: WerkzeugRequest, status: int, fault: str | None, sandbox: OktaSandbox) -> RequestRecord:
    form: dict[str, str] = {}
    if req.method == "POST" and req.mimetype == "application/x-www-form-urlencoded":
        form = dict(req.form.items(multi=False))
        if "password" in form:
            form["password"] = "***"  # noqa: S105 - the only field the log hides
    return RequestRecord(
        at=sandbox.clock.now(),
        method=req.method,
        path=req.path,
        query=dict(req.args.items(multi=False)),
        form=form,
        status=status,
        fault=fault,
    )


def create_app(sandbox: OktaSandbox, *, control_api: bool = False) -> Flask:
    """Build the Flask app serving ``sandbox`` (mount ``/__sandbox/`` only if ``control_api``)."""
    app = Flask("okta_sandbox")
    app.config["JSON_SORT_KEYS"] = False
    app.wsgi_app = _FaultMiddleware(app.wsgi_app, sandbox)  # type: ignore[method-assign]

    @app.before_request
    def _before() -> Response | None:
        if request.path.startswith(_CONTROL_PREFIX):
            return None
        family = rate_limit_family(request.method, request.path)
        g.family = family
        fault = request.environ.get(_FAULT_KEY)
        if fault is not None and fault.kind == "http_error":
            status = fault.status or 500
            # E0000009 "Internal Server Error" (SPEC-M); other statuses use their own reason phrase.
            return _api_error(ApiError(status, "E0000009", HTTPStatus(status).phrase))
        if fault is not None and fault.kind == "rate_limit":
            if family is not None:
                peek = sandbox.peek_rate_limit(family)
                g.rate = RateLimitStatus(family, False, peek.limit, 0, peek.reset_epoch)
            return _api_error(ApiError(429, "E0000047", errors.RATE_LIMIT_SUMMARY))
        if family is not None and request.method != "OPTIONS":
            g.rate = sandbox.consume_rate_limit(family)
            if not g.rate.allowed:
                return _api_error(ApiError(429, "E0000047", errors.RATE_LIMIT_SUMMARY))
        return None

    @app.after_request
    def _after(response: Response) -> Response:
        if request.path.startswith(_CONTROL_PREFIX):
            return response
        family = g.get("family")
        if family is not None:
            rate = g.get("rate") or sandbox.peek_rate_limit(family)
            response.headers["X-Rate-Limit-Limit"] = str(rate.limit)
            response.headers["X-Rate-Limit-Remaining"] = str(rate.remaining)
            response.headers["X-Rate-Limit-Reset"] = str(rate.reset_epoch)
        fault = request.environ.get(_FAULT_KEY)
        fault_kind = fault.kind if fault is not None else None
        if fault_kind == "malformed_json":
            body = response.get_data() or b'{"errorCode":"E0000009"}'
            # Half a JSON document: parsable by nobody, as a truncated proxy response would be.
            response.set_data(body[: max(1, len(body) // 2)])
            response.status_code = 200
            response.content_type = _JSON
        sandbox.record_request(_record(request, response.status_code, fault_kind, sandbox))
        return response

    @app.errorhandler(ApiError)
    def _on_api_error(exc: ApiError) -> Response:
        return _api_error(exc)

    _register_oauth(app, sandbox)
    _register_management(app, sandbox)
    if control_api:
        from okta_sandbox.control import control_blueprint

        app.register_blueprint(control_blueprint(sandbox))
    return app


# ---------------------------------------------------------------------- OAuth / OIDC


def _register_oauth(app: Flask, sandbox: OktaSandbox) -> None:  # noqa: C901 - one closure per route
    def oauth_error(exc: OAuthError) -> Response:
        return _json_response(exc.body(), exc.status, _token_headers())

    def _token_headers() -> dict[str, str]:
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        origin = request.headers.get("Origin")
        if origin:
            # "This endpoint always returns CORS headers with the current origin." (SPEC-O)
            headers["Access-Control-Allow-Origin"] = origin
            headers["Vary"] = "Origin"
        return headers

    def error_page(error: str, description: str, status: int = 400) -> BaseResponse:
        html = pages.error_page(origin=sandbox.origin, error=error, description=description)
        return Response(html, status=status, content_type="text/html; charset=utf-8")

    def redirect_back(uri: str, state: str, **params: str) -> BaseResponse:
        """Back to the app: ``code`` or ``error``/``error_description``, then ``state`` (FACTS.md §1)."""
        separator = "&" if "?" in uri else "?"
        # quote_plus (urlencode's default) gives Okta's "One+or+more+scopes..." encoding.
        return redirect(uri + separator + urlencode({**params, "state": state}), code=302)

    def deny(txn: str, auth_request: AuthorizeRequest, description: str) -> BaseResponse:
        """End the transaction and redirect back with ``access_denied``."""
        sandbox.finish_transaction(txn)
        return redirect_back(
            auth_request.redirect_uri,
            auth_request.state,
            error="access_denied",
            error_description=description,
        )

    @app.get("/.well-known/openid-configuration")
    def openid_configuration() -> BaseResponse:
        client_id = request.args.get("client_id")
        if client_id is not None and sandbox.get_app(client_id) is None:
            # SPEC-O: 400 Error400InvalidClientId, an Okta error object (not an OAuthError body).
            raise ApiError(400, "invalid_client", errors.DISCOVERY_INVALID_CLIENT)
        return _json_response(_oidc_metadata(sandbox.origin))

    @app.get("/oauth2/v1/keys")
    def keys() -> BaseResponse:
        return _json_response(sandbox.signer.jwks(), headers={"Cache-Control": "max-age=3600"})

    @app.get("/oauth2/v1/authorize")
    def authorize() -> BaseResponse:
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
            return error_page(
                "invalid_request", "The authorization request must include a 'state' parameter."
            )

        def fail(error: str, description: str) -> BaseResponse:
            return redirect_back(redirect_uri, state, error=error, error_description=description)

        response_type = args.get("response_type", "")
        if response_type != "code":
            if response_type in OKTA_RESPONSE_TYPES:
                # An Okta response type the SPA app is not configured for.
                return fail(
                    "unsupported_response_type",
                    "The response type is not supported by the authorization server. "
                    "Configured response types: [code].",
                )
            return fail("unsupported_response_type", errors.UNSUPPORTED_RESPONSE_TYPE)
        response_mode = args.get("response_mode", "query")
        if response_mode != "query":
            if response_mode in OKTA_RESPONSE_MODES:
                # Valid in Okta, not emulated (see okta_sandbox/README.md).
                return fail("unsupported_response_mode", "The sandbox only supports response_mode=query.")
            return fail("unsupported_response_mode", errors.UNSUPPORTED_RESPONSE_MODE)
        scopes = tuple(dict.fromkeys(args.get("scope", "").split()))
        if not scopes:
            return fail("invalid_scope", errors.NO_SCOPES)
        for scope in scopes:
            known = scope in OIDC_SCOPES or scope in OKTA_SCOPES
            if not known or (scope.startswith("okta.") and scope not in client.granted_scopes):
                return fail("invalid_scope", errors.SCOPE_NOT_CONFIGURED)
        if "openid" not in scopes and any(s in OIDC_SCOPES - {"openid", "offline_access"} for s in scopes):
            return fail("access_denied", errors.NEED_OPENID)
        challenge = args.get("code_challenge")
        method = args.get("code_challenge_method")
        if not challenge:
            # The SPA is a public client (auth method "none"), so PKCE is mandatory.
            return fail("invalid_request", errors.PKCE_REQUIRED)
        if method != "S256":
            return fail("invalid_request", errors.BAD_CHALLENGE_METHOD)
        if not _CODE_CHALLENGE.match(challenge):
            return fail("invalid_request", "The PKCE code challenge is invalid.")
        auth_request = AuthorizeRequest(
            client_id=client.client_id,
            redirect_uri=redirect_uri,
            scopes=scopes,
            state=state,
            nonce=args.get("nonce"),
            code_challenge=challenge,
            code_challenge_method=method,
            created=sandbox.clock.now(),
        )
        prompt = set(args.get("prompt", "").split())
        sid = request.cookies.get(SESSION_COOKIE)
        user_id = None if "login" in prompt else sandbox.session_user(sid)
        txn = sandbox.start_transaction(auth_request)
        if user_id is None:
            if "none" in prompt:
                sandbox.finish_transaction(txn)
                return fail(
                    "login_required", "The client specified not to prompt, but the user is not logged in."
                )
            return sign_in(txn, client.name, error=None, username=args.get("login_hint", ""))
        return after_sign_in(txn, auth_request, user_id, skip_consent="none" in prompt)

    def sign_in(
        txn: str, app_name: str, *, error: str | None, username: str = "", status: int = 200
    ) -> BaseResponse:
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
        return Response(html, status=status, content_type="text/html; charset=utf-8")

    def after_sign_in(
        txn: str, auth_request: AuthorizeRequest, user_id: str, *, skip_consent: bool
    ) -> BaseResponse:
        client = sandbox.get_app(auth_request.client_id)
        login = sandbox.user_login(user_id)
        if client is None or not client.is_assigned(login):
            return deny(txn, auth_request, errors.USER_NOT_ASSIGNED)
        if skip_consent:
            return grant(txn, auth_request, user_id)
        html = pages.consent_page(
            origin=sandbox.origin,
            action="/oauth2/v1/authorize/consent",
            txn=txn,
            app_name=client.name,
            login=login,
            scopes=list(auth_request.scopes),
        )
        return Response(html, content_type="text/html; charset=utf-8")

    def grant(txn: str, auth_request: AuthorizeRequest, user_id: str) -> BaseResponse:
        sandbox.finish_transaction(txn)
        code = sandbox.issue_code(auth_request, user_id)
        return redirect_back(auth_request.redirect_uri, auth_request.state, code=code)

    @app.post("/login/signin")
    def sign_in_submit() -> BaseResponse:
        txn = request.form.get("txn", "")
        auth_request = sandbox.get_transaction(txn)
        if auth_request is None:
            return error_page(
                "invalid_request", "The sign-in transaction has expired. Start again from the app."
            )
        client = sandbox.get_app(auth_request.client_id)
        username = request.form.get("username", "")
        user_id = sandbox.authenticate(username, request.form.get("password", ""))
        if user_id is None:
            return sign_in(
                txn, client.name if client else "", error="Unable to sign in", username=username, status=401
            )
        response = after_sign_in(txn, auth_request, user_id, skip_consent=False)
        response.set_cookie(
            SESSION_COOKIE, sandbox.create_session(user_id), httponly=True, samesite="Lax", path="/"
        )
        return response

    @app.post("/oauth2/v1/authorize/consent")
    def consent_submit() -> BaseResponse:
        txn = request.form.get("txn", "")
        auth_request = sandbox.get_transaction(txn)
        user_id = sandbox.session_user(request.cookies.get(SESSION_COOKIE))
        if auth_request is None or user_id is None:
            return error_page(
                "invalid_request", "The consent transaction has expired. Start again from the app."
            )
        if request.form.get("consent") != "allow":
            return deny(txn, auth_request, errors.CONSENT_DENIED)
        return grant(txn, auth_request, user_id)

    @app.route("/oauth2/v1/token", methods=["OPTIONS"])
    def token_preflight() -> BaseResponse:
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
        body_id = request.form.get("client_id")
        auth = request.authorization
        if auth is not None and auth.type == "basic":
            if body_id:
                raise OAuthError(
                    400,
                    "invalid_request",
                    "Can't supply multiple client credentials. Use one of the following: credentials in "
                    "the Authorization header, credentials in the post body, or a `client_assertion` in the "
                    "post body.",
                )
            return auth.username
        return body_id

    @app.post("/oauth2/v1/token")
    def token() -> BaseResponse:
        form = request.form
        try:
            client_id = client_id_from_request()
            # The client is checked before the grant, so a bogus code tells a wrong client id
            # (401 invalid_client) from a right one (400 invalid_grant).
            sandbox.require_client(client_id)
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                body = sandbox.exchange_code(
                    client_id=client_id,
                    code=form.get("code"),
                    redirect_uri=form.get("redirect_uri"),
                    code_verifier=form.get("code_verifier"),
                )
            elif grant_type == "refresh_token":
                body = sandbox.refresh(
                    client_id=client_id, refresh_token=form.get("refresh_token"), scope=form.get("scope")
                )
            else:
                raise OAuthError(400, "unsupported_grant_type", errors.UNSUPPORTED_GRANT)
        except OAuthError as exc:
            return oauth_error(exc)
        return _json_response(body, 200, _token_headers())

    @app.post("/oauth2/v1/revoke")
    def revoke() -> BaseResponse:
        try:
            sandbox.revoke_token(client_id=client_id_from_request(), token=request.form.get("token"))
        except OAuthError as exc:
            return oauth_error(exc)
        response = Response(status=200)
        for key, value in _token_headers().items():
            response.headers[key] = value
        return response

    @app.route("/oauth2/v1/userinfo", methods=["GET", "POST"])
    def userinfo() -> BaseResponse:
        record = sandbox.check_access_token(_bearer() or "")
        if record is None or "openid" not in record.scopes:
            response = Response(status=401)
            response.headers["WWW-Authenticate"] = (
                'Bearer error="invalid_token", error_description="The access token is invalid."'
            )
            return response
        user = sandbox.get_user(record.user_id)["profile"]
        return _json_response(
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

    @app.get("/oauth2/v1/logout")
    def logout() -> BaseResponse:
        sandbox.end_session(request.cookies.get(SESSION_COOKIE))
        target = request.args.get("post_logout_redirect_uri")
        allowed = {uri for client in sandbox.apps() for uri in client.post_logout_redirect_uris}
        if target and target in allowed:
            state = request.args.get("state")
            response: BaseResponse = redirect(target + (("?" + urlencode({"state": state})) if state else ""))
        else:
            response = Response(pages.signed_out_page(origin=sandbox.origin), content_type="text/html")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response


def _oidc_metadata(origin: str) -> dict[str, Any]:
    """Org-AS OIDC metadata, after SPEC-O's ``OrgASOidcMetadata`` example (FACTS.md §1)."""
    auth_methods = [
        "client_secret_basic",
        "client_secret_post",
        "client_secret_jwt",
        "private_key_jwt",
        "none",
    ]
    return {
        "issuer": origin,
        "authorization_endpoint": f"{origin}/oauth2/v1/authorize",
        "token_endpoint": f"{origin}/oauth2/v1/token",
        "userinfo_endpoint": f"{origin}/oauth2/v1/userinfo",
        "registration_endpoint": f"{origin}/oauth2/v1/clients",
        "jwks_uri": f"{origin}/oauth2/v1/keys",
        "response_types_supported": list(OKTA_RESPONSE_TYPES),
        "response_modes_supported": list(OKTA_RESPONSE_MODES),
        "grant_types_supported": [
            "authorization_code",
            "implicit",
            "refresh_token",
            "password",
            "urn:ietf:params:oauth:grant-type:device_code",
        ],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile", "address", "phone", "offline_access", "groups"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "claims_supported": [
            "iss",
            "ver",
            "sub",
            "aud",
            "iat",
            "exp",
            "jti",
            "auth_time",
            "amr",
            "idp",
            "nonce",
            "name",
            "nickname",
            "preferred_username",
            "given_name",
            "middle_name",
            "family_name",
            "email",
            "email_verified",
            "profile",
            "zoneinfo",
            "locale",
            "address",
            "phone_number",
            "picture",
            "website",
            "gender",
            "birthdate",
            "updated_at",
            "at_hash",
            "c_hash",
        ],  # fmt: skip
        "code_challenge_methods_supported": ["S256"],
        "introspection_endpoint": f"{origin}/oauth2/v1/introspect",
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint": f"{origin}/oauth2/v1/revoke",
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "end_session_endpoint": f"{origin}/oauth2/v1/logout",
        "request_parameter_supported": True,
        "request_object_signing_alg_values_supported": [
            "HS256",
            "HS384",
            "HS512",
            "RS256",
            "RS384",
            "RS512",
            "ES256",
            "ES384",
            "ES512",
        ],  # fmt: skip
        "device_authorization_endpoint": f"{origin}/oauth2/v1/device/authorize",
        "pushed_authorization_request_endpoint": f"{origin}/oauth2/v1/par",
    }


# ---------------------------------------------------------------------- Management API


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def _register_management(app: Flask, sandbox: OktaSandbox) -> None:
    def authorize(scope: str) -> tuple[str | None, Response | None]:
        """Return (token user id, None) or (None, the 401/403 response)."""
        record = sandbox.check_access_token(_bearer() or "")
        origin = sandbox.origin
        challenge = (
            f'Bearer authorization_uri="{origin}/oauth2/v1/authorize", realm="{origin}", scope="{scope}", '
        )
        if record is None:
            # Missing, unknown, expired or revoked: 401 E0000011 (SPEC-M ErrorInvalidTokenProvided).
            header = challenge + (
                'error="invalid_token", error_description="The access token is invalid.", '
                f'resource="{request.path}"'
            )
            error = ApiError(401, "E0000011", errors.INVALID_TOKEN_SUMMARY)
            return None, _api_error(error, {"WWW-Authenticate": header})
        if scope not in record.scopes:
            # Valid token without the scope: 403, empty body, insufficient_scope (okta-sdk-golang#145).
            response = Response(b"", status=403)
            response.headers["WWW-Authenticate"] = challenge + (
                'error="insufficient_scope", '
                'error_description="The access token provided does not contain the required scopes.", '
                f'resource="{request.path}"'
            )
            return None, response
        if not sandbox.is_admin(record.user_id):
            # okta.* scopes only act within the user's own admin permissions (G-OAUTH).
            return None, _api_error(ApiError(403, "E0000006", errors.FORBIDDEN_SUMMARY))
        return record.user_id, None

    @app.get("/api/v1/users")
    def list_users() -> Response:
        _, denied = authorize("okta.users.read")
        if denied is not None:
            return denied
        args = request.args
        limit = _parse_limit(args.get("limit"))
        after = args.get("after") or None
        search, filter_ = args.get("search"), args.get("filter")
        q = args.get("q")
        if q is not None and search is None and filter_ is None:
            return _json_response(_find_q(sandbox, q, _parse_limit(args.get("limit"), default=10)))
        page = sandbox.users_page(limit=limit, after=after, search=search, filter_=filter_)
        response = _json_response(page.json_bytes())
        base = f"{sandbox.origin}{request.path}"
        self_query = urlencode(list(args.items(multi=True)), quote_via=quote)
        response.headers.add("Link", f'<{base}{"?" + self_query if self_query else ""}>; rel="self"')
        if page.next_after is not None:
            # next = after, limit, then the other original parameters, in that order (VCR recordings).
            rest = [(k, v) for k, v in args.items(multi=True) if k not in ("after", "limit")]
            next_query = urlencode(
                [("after", page.next_after), ("limit", str(limit)), *rest], quote_via=quote
            )
            response.headers.add("Link", f'<{base}?{next_query}>; rel="next"')
        return response

    @app.get("/api/v1/users/<path:id_or_login>")
    def get_user(id_or_login: str) -> Response:
        uid, denied = authorize("okta.users.read")
        if denied is not None:
            return denied
        target = uid if id_or_login == "me" and uid else id_or_login
        return _json_response(sandbox.get_user_json(target))

    @app.get("/api/v1/meta/schemas/user/<schema_id>")
    def get_user_schema(schema_id: str) -> Response:
        _, denied = authorize("okta.schemas.read")
        if denied is not None:
            return denied
        if schema_id not in ("default", sandbox.schema_id):
            raise errors.not_found(schema_id, "UserSchema")
        return _json_response(sandbox.user_schema_json())

    @app.route("/api/v1/<path:rest>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
    def unknown_api(rest: str) -> Response:
        raise errors.not_found(f"/api/v1/{rest}", "Resource")


def _parse_limit(raw: str | None, default: int = MAX_LIMIT) -> int:
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        value = default
    if value < 1:
        value = default
    return min(value, MAX_LIMIT)


def _find_q(sandbox: OktaSandbox, q: str, limit: int) -> list[dict[str, Any]]:
    """``q``: startsWith on firstName/lastName/email, no DEPROVISIONED, no pagination (SPEC-M)."""
    needle = q.casefold()
    found: list[dict[str, Any]] = []
    for user in sandbox.list_users(include_deprovisioned=False):
        profile = user["profile"]
        if any(
            str(profile.get(key, "")).casefold().startswith(needle)
            for key in ("firstName", "lastName", "email")
        ):
            found.append(user)
            if len(found) == limit:
                break
    return found


# ---------------------------------------------------------------------- server


class _QuietHandler(WSGIRequestHandler):
    """No per-request access log (tests run hundreds of requests); the CLI turns it back on."""

    verbose = False

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if self.verbose:
            super().log_request(code, size)


class _VerboseHandler(_QuietHandler):
    verbose = True


class SandboxServer:
    """Serve an :class:`OktaSandbox` over real HTTP from a background thread.

    ``port=0`` picks a free port. ``sandbox.origin`` is set to this server's origin so the
    issuer, audiences and links match the address clients use.
    """

    def __init__(
        self,
        sandbox: OktaSandbox | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        control_api: bool = False,
        access_log: bool = False,
    ) -> None:
        self.sandbox = sandbox if sandbox is not None else OktaSandbox()
        self.host = host
        self.control_api = control_api
        self.app = create_app(self.sandbox, control_api=control_api)
        handler = _VerboseHandler if access_log else _QuietHandler
        self._server: BaseWSGIServer = make_server(
            host, port, self.app, threaded=True, request_handler=handler
        )
        self.port = self._server.server_port
        display_host = f"[{host}]" if ":" in host else host
        self.origin = f"http://{display_host}:{self.port}"
        self.sandbox.origin = self.origin
        self._thread: threading.Thread | None = None

    def start(self) -> SandboxServer:
        """Start serving in a daemon thread; returns ``self``."""
        if self._thread is None:
            # A short poll interval keeps stop() fast (shutdown waits for the next poll).
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"okta-sandbox-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until :meth:`stop` (or Ctrl-C) - used by the CLI."""
        self._server.serve_forever()

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def run_sandbox(
    *,
    seed: int = 1,
    users: int = 25,
    host: str = "127.0.0.1",
    port: int = 0,
    control_api: bool = False,
    configure: Callable[[OktaSandbox], None] | None = None,
) -> SandboxServer:
    """Build a sandbox, let ``configure`` adjust it, and return a started :class:`SandboxServer`."""
    sandbox = OktaSandbox(seed=seed, users=users)
    if configure is not None:
        configure(sandbox)
    return SandboxServer(sandbox, host=host, port=port, control_api=control_api).start()
