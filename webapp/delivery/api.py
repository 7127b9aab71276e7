"""The export API: every current signature as JSON (paged), and one teammate's as JSON, HTML or text.

    GET /api/v1/signatures?page=1&per_page=100  -> {"items", "page", "per_page", "total", "pages", "links"}
    GET /api/v1/signatures/<teammate_id>        -> the item plus "html" and "text"
    GET /api/v1/signatures/<teammate_id>.html   -> just the HTML (.txt: just the text)

Authenticated only by `Authorization: Bearer <token>` (tokens from Settings › API tokens): the
session cookie is never looked at, so a signed-in browser can't be made to fetch it for someone
else, and CSRF doesn't apply. A missing, unknown or revoked token gets 401 with `WWW-Authenticate:
Bearer` (RFC 6750 §3). Every answer has a strong ETag; `If-None-Match` with it gets 304, so a poller
downloads only what changed.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, Response, request, url_for
from werkzeug.exceptions import HTTPException

from webapp.delivery import api_tokens, export
from webapp.delivery.models import ApiToken
from webapp.delivery.web import teammate_name
from webapp.extensions import db
from webapp.rendering import base_url, json_error, json_response, render
from webapp.security import public
from webapp.signatures.models import Signature
from webapp.teammates.models import Teammate

bp = Blueprint("delivery_api", __name__, url_prefix="/api/v1")
MAX_ID = 2**31 - 1
REALM = 'Bearer realm="Signet"'
JSON_MIMETYPE = "application/json"
# The HTML variant is a signature, not a page: it runs nothing and loads nothing if a browser opens it.
HTML_VARIANT_POLICY = "sandbox; default-src 'none'"
NO_TOKEN = "Send an API token: Authorization: Bearer <token>. Admins create tokens in Settings › API tokens."  # noqa: S105
BAD_TOKEN = "This API token is unknown or was revoked."  # noqa: S105


class _Unauthorized(Exception):
    """No usable token; `presented` tells "none sent" from "unknown or revoked"."""

    def __init__(self, presented: bool) -> None:
        super().__init__()
        self.presented = presented


class _ApiError(Exception):
    """An error answered as JSON `{"error": message}` with `status`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _conditional(response: Response, etag: str) -> Response:
    """Attach a strong ETag; answer 304 when the client already has this version."""
    response.set_etag(etag)
    response.make_conditional(request)  # turns the response itself into a 304 when it matches
    return response


def _authenticate() -> ApiToken:
    """The request's API token, or `_Unauthorized`. Only the Authorization header counts."""
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise _Unauthorized(presented=bool(header))
    token = api_tokens.authenticate(session=db.session, presented=presented.strip())
    if token is None or token.id is None:
        raise _Unauthorized(presented=True)
    if request.method == "GET" and api_tokens.needs_last_used_update(token):
        # Its own short write: the request's session only reads (PITFALLS 7.1).
        with db.session_scope(writer=True) as writing:
            api_tokens.mark_used(session=writing, token_id=token.id)
    return token


@bp.errorhandler(_Unauthorized)
def _unauthorized(error: _Unauthorized) -> Response:
    # A browser opening the URL (no token, HTML preferred) gets a page saying what the URL is for.
    wants_page = request.accept_mimetypes.best_match([JSON_MIMETYPE, "text/html"]) == "text/html"
    if not error.presented and wants_page:
        response = render("delivery/api_unauthorized.html", status=401)
    else:
        response = json_error(401, BAD_TOKEN if error.presented else NO_TOKEN)
    response.headers["WWW-Authenticate"] = REALM + (', error="invalid_token"' if error.presented else "")
    response.vary.add("Accept")
    return response


@bp.errorhandler(_ApiError)
def _api_error(error: _ApiError) -> Response:
    return json_error(error.status, error.message)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    return json_error(error.code or 500, error.description or "The request failed.")


def _links(teammate_id: int) -> dict[str, str]:
    base = base_url()
    return {
        "self": base + url_for("delivery_api.signature", teammate_id=teammate_id),
        "html": base + url_for("delivery_api.signature_html", teammate_id=teammate_id),
        "text": base + url_for("delivery_api.signature_text", teammate_id=teammate_id),
    }


def _item(teammate: Teammate, signature: Signature) -> dict[str, Any]:
    assert teammate.id is not None
    return {
        "teammate_id": teammate.id,
        "email": teammate.email,
        "display_name": teammate_name(teammate),
        "template_id": signature.template_id,
        "template_version": signature.template_version,
        "content_hash": signature.content_hash,
        "rendered_at": signature.rendered_at.isoformat(),
        "links": _links(teammate.id),
    }


def _positive(name: str, default: int, maximum: int) -> int:
    value = request.args.get(name)
    if value is None:
        return default
    # isascii: "²".isdigit() is True, and int("²") raises.
    # The length check keeps int() from parsing a huge number; it allows every value up to `maximum`.
    too_long = len(value) > len(str(maximum))
    if not (value.isascii() and value.isdigit()) or too_long or not 1 <= int(value) <= maximum:
        raise _ApiError(400, f"{name} must be a whole number from 1 to {maximum}.")
    return int(value)


def _page_url(page: int, per_page: int) -> str:
    return base_url() + url_for("delivery_api.signatures", page=page, per_page=per_page)


@bp.get("/signatures")
@public
def signatures() -> Response:
    """Every active teammate's current signature (metadata, no bodies), paged by teammate id."""
    _authenticate()
    page_number = _positive("page", 1, 10**9)
    per_page = _positive("per_page", export.DEFAULT_PER_PAGE, export.MAX_PER_PAGE)
    page = export.export_page(session=db.session, page=page_number, per_page=per_page)
    items = [_item(teammate, signature) for teammate, signature in page.items]
    links = {"self": _page_url(page.page, per_page)}
    if page.page < page.pages:
        links["next"] = _page_url(page.page + 1, per_page)
    if page.page > 1:
        links["prev"] = _page_url(min(page.page - 1, page.pages), per_page)
    body = {"items": items, "page": page.page, "per_page": per_page, "total": page.total}
    body |= {"pages": page.pages, "links": links}
    response = json_response(body)
    if "next" in links:
        response.headers["Link"] = f'<{links["next"]}>; rel="next"'
    # The page's items (their content hashes included) and its paging decide the ETag.
    return _conditional(response, hashlib.sha256(response.get_data()).hexdigest())


def _found(teammate_id: int) -> tuple[Teammate, Signature]:
    _authenticate()
    found = export.export_one(session=db.session, teammate_id=teammate_id)
    if found is None:
        raise _ApiError(404, "No current signature for this teammate (unknown, inactive or without one).")
    return found


@bp.get(f"/signatures/<int(max={MAX_ID}):teammate_id>")
@public
def signature(teammate_id: int) -> Response:
    """One teammate's current signature with its HTML and text."""
    teammate, current = _found(teammate_id)
    response = json_response({**_item(teammate, current), "html": current.html, "text": current.text})
    return _conditional(response, hashlib.sha256(response.get_data()).hexdigest())


@bp.get(f"/signatures/<int(max={MAX_ID}):teammate_id>.html")
@public
def signature_html(teammate_id: int) -> Response:
    """One teammate's current signature as HTML, as it would be pasted."""
    _, current = _found(teammate_id)
    response = Response(current.html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = HTML_VARIANT_POLICY
    response.headers["Cache-Control"] = "no-cache, private"
    response.vary.add("Authorization")
    return _conditional(response, f"{current.content_hash}.html")


@bp.get(f"/signatures/<int(max={MAX_ID}):teammate_id>.txt")
@public
def signature_text(teammate_id: int) -> Response:
    """One teammate's current signature as plain text."""
    _, current = _found(teammate_id)
    response = Response(current.text, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-cache, private"
    response.vary.add("Authorization")
    return _conditional(response, f"{current.content_hash}.txt")
