"""The Management API routes: ``/api/v1/users``, ``/api/v1/users/{id}``, the user schema (FACTS.md §2-3)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, request

from okta_sandbox import errors
from okta_sandbox.errors import ApiError
from okta_sandbox.http_util import api_error_response, bearer_token, json_response, sandbox_of
from okta_sandbox.sandbox import OktaSandbox

bp = Blueprint("okta_management", __name__)
MAX_LIMIT = 200  # SPEC-M listUsers: "limit ... (maximum 200)", default 200


def authorize_request(scope: str) -> tuple[str | None, Response | None]:
    """``(token user id, None)``, or ``(None, the 401/403 response)`` for the required ``scope``."""
    sandbox = sandbox_of()
    record = sandbox.check_access_token(bearer_token() or "")
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
        return None, api_error_response(error, {"WWW-Authenticate": header})
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
        return None, api_error_response(ApiError(403, "E0000006", errors.FORBIDDEN_SUMMARY))
    return record.user_id, None


@bp.get("/api/v1/users")
def list_users() -> Response:
    """One page of users with ``Link`` headers; ``q`` is a prefix match without pagination."""
    _, denied = authorize_request("okta.users.read")
    if denied is not None:
        return denied
    sandbox = sandbox_of()
    args = request.args
    limit = parse_limit(args.get("limit"))
    search, filter_ = args.get("search"), args.get("filter")
    q = args.get("q")
    if q is not None and search is None and filter_ is None:
        return json_response(find_q(sandbox, q, parse_limit(args.get("limit"), default=10)))
    page = sandbox.users_page(limit=limit, after=args.get("after") or None, search=search, filter_=filter_)
    response = json_response(page.json_bytes())
    base = f"{sandbox.origin}{request.path}"
    self_query = urlencode(list(args.items(multi=True)), quote_via=quote)
    response.headers.add("Link", f'<{base}{"?" + self_query if self_query else ""}>; rel="self"')
    if page.next_after is not None:
        # next = after, limit, then the other original parameters, in that order (VCR recordings).
        rest = [(k, v) for k, v in args.items(multi=True) if k not in ("after", "limit")]
        next_query = urlencode([("after", page.next_after), ("limit", str(limit)), *rest], quote_via=quote)
        response.headers.add("Link", f'<{base}?{next_query}>; rel="next"')
    return response


@bp.get("/api/v1/users/<path:id_or_login>")
def get_user(id_or_login: str) -> Response:
    """One user by id, login or ``me`` (the token's user)."""
    uid, denied = authorize_request("okta.users.read")
    if denied is not None:
        return denied
    target = uid if id_or_login == "me" and uid else id_or_login
    return json_response(sandbox_of().get_user_json(target))


@bp.get("/api/v1/meta/schemas/user/<schema_id>")
def get_user_schema(schema_id: str) -> Response:
    """The default user schema, by ``default`` or its id."""
    _, denied = authorize_request("okta.schemas.read")
    if denied is not None:
        return denied
    sandbox = sandbox_of()
    if schema_id not in ("default", sandbox.schema_id):
        raise errors.not_found(schema_id, "UserSchema")
    return json_response(sandbox.user_schema_json())


@bp.route("/api/v1/<path:rest>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
def unknown_api(rest: str) -> Response:
    """Any other Management API path: 404 ``E0000007``."""
    raise errors.not_found(f"/api/v1/{rest}", "Resource")


def parse_limit(raw: str | None, default: int = MAX_LIMIT) -> int:
    """``limit`` as Okta reads it: the default when missing or bad, at most 200."""
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        value = default
    if value < 1:
        value = default
    return min(value, MAX_LIMIT)


def find_q(sandbox: OktaSandbox, q: str, limit: int) -> list[dict[str, Any]]:
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
