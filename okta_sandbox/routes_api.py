"""The Management API routes: ``/api/v1/users``, ``/api/v1/users/{id}``, the user schema (FACTS.md §2-3)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, request

from okta_sandbox import errors
from okta_sandbox.http_util import json_response, sandbox_of
from okta_sandbox.resource_auth import authorize_request
from okta_sandbox.sandbox import OktaSandbox

bp = Blueprint("okta_management", __name__)
MAX_LIMIT = 200  # SPEC-M listUsers: "limit ... (maximum 200)", default 200


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
    base = f"{sandbox.link_origin or sandbox.origin}{request.path}"
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
