"""Security headers, the login guard and error pages shared by every blueprint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from webapp import request_guard
from webapp.accounts import store as accounts
from webapp.extensions import db, htmx, login_manager
from webapp.rendering import current_path, json_error, redirect_to, render

ViewFunction = TypeVar("ViewFunction", bound=Callable[..., Any])

# No inline script or style anywhere, so the policy can forbid both; htmx is told not to inject
# its indicator <style> for the same reason (static/js/app.js, htmx-config meta).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
# Sent only when BASE_URL is https: browsers then refuse plain http to this host for a year.
# https://developer.mozilla.org/docs/Web/HTTP/Headers/Strict-Transport-Security
HSTS_HEADER = "max-age=31536000"
# Everything under this prefix (the export API, webapp/delivery/api.py) answers its errors in JSON.
API_PREFIX = "/api/"
ERROR_MESSAGES = {
    400: "The request could not be understood.",
    403: "You don't have access to this page.",
    404: "There is nothing at this address.",
    405: "This address does not accept that kind of request.",
    429: "Too many requests. Wait a moment and try again.",
    500: "Something went wrong on our side. Nothing you typed was lost; try again in a moment.",
}


def public(view: ViewFunction) -> ViewFunction:
    """Mark a view as reachable without signing in (every other view requires an admin)."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def client_ip() -> str:
    """The client's address as Werkzeug sees it (after ProxyFix, when configured)."""
    return request.remote_addr or "unknown"


def init_app(app: Flask) -> None:
    """Install the login guard, security headers and error handlers."""
    # First: no view, not even the login guard's, sees a NUL byte or runs for a state-changing HEAD.
    app.before_request(_refuse_hostile_request)
    app.before_request(_require_admin)
    app.after_request(_add_security_headers)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    login_manager.user_loader(_load_admin)
    login_manager.unauthorized_handler(_unauthorized)


def _load_admin(session_id: str) -> Any:
    admin_id, _, epoch = session_id.partition(":")
    if not admin_id.isdigit() or not epoch.isdigit():
        return None
    # A short session of its own: if the request's session did this read, a POST's write
    # transaction (BEGIN IMMEDIATE) would start here and hold SQLite's write lock for the whole
    # request, including any call to Okta.
    with db.session_scope(writer=False) as session:
        admin = accounts.get_admin(session=session, admin_id=int(admin_id))
    if admin is None or not admin.is_active or admin.session_epoch != int(epoch):
        return None  # signed out since (or disabled): this cookie no longer counts
    return admin


def _needs_admin() -> bool:
    """Whether the routed view requires a signed-in admin (everything not marked @public)."""
    view = current_app_view()
    return view is not None and not getattr(view, "is_public", False)


def _refuse_hostile_request() -> Response | None:
    refusal = request_guard.refusal_for(current_app_view())
    if refusal is None:
        return None
    response = render_error(refusal.status, refusal.message)  # JSON under /api/
    if refusal.allow:
        response.headers["Allow"] = refusal.allow
    return response


def _require_admin() -> Response | None:
    if not _needs_admin():
        return None
    if not current_user.is_authenticated:
        if accounts.admin_count(session=db.session) == 0:
            return redirect_to(url_for("auth.setup_admin"))
        result: Response = login_manager.unauthorized()
        return result
    return None


def current_app_view() -> Callable[..., Any] | None:
    """The view function the request is routed to, or None (404s, static files)."""
    if request.endpoint is None or request.endpoint == "static":
        return None
    return current_app.view_functions.get(request.endpoint)


def _unauthorized() -> Response:
    # For htmx, HX-Redirect makes the browser load the login page instead of swapping it into a card.
    # An OAuth callback's code and state must not travel on in `next` (PITFALLS 7.3).
    return redirect_to(url_for("auth.login", next=request_guard.without_secret_query(current_path())))


def _add_security_headers(response: Response) -> Response:
    for header, value in SECURITY_HEADERS.items():
        response.headers.setdefault(header, value)
    if current_app.config.get("SESSION_COOKIE_SECURE"):  # set from an https BASE_URL
        response.headers.setdefault("Strict-Transport-Security", HSTS_HEADER)
    _make_own_location_relative(response)
    if response.mimetype == "text/html" and current_user and current_user.is_authenticated:
        # Pages show directory data; don't leave them in shared caches or the back-forward cache.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _make_own_location_relative(response: Response) -> None:
    """Turn a `Location` pointing at the request's own host into a path.

    Werkzeug builds some redirects (e.g. `/setup//okta` -> `/setup/okta`) as absolute URLs from the
    `Host` header, which a client or a misconfigured proxy controls; a cache could then keep a redirect
    to another site. A path works for every browser (RFC 9110 §10.2.2) and never names a host.
    """
    location = response.headers.get("Location")
    if not location:
        return
    parts = urlsplit(location)
    if parts.netloc and parts.netloc.lower() == request.host.lower():
        response.headers["Location"] = (
            (parts.path or "/")
            + (f"?{parts.query}" if parts.query else "")
            + (f"#{parts.fragment}" if parts.fragment else "")
        )
        # Werkzeug's redirect page repeats the absolute URL as a link; the header is all a client needs.
        response.set_data(b"")


def render_error(status: int, message: str) -> Response:
    """An error as a full page, or for htmx as a message in the page's notice area; under /api/, as
    the export API's JSON error, whether or not a route matched (404, 405) or a view ran (500).

    htmx 2 does not swap 4xx/5xx by default; static/js/app.js lets them through and these headers
    send the message to #flash instead of the element that made the request (PITFALLS 5.3).
    """
    if request.path.startswith(API_PREFIX):
        return json_error(status, message)
    response = render(
        "errors/error.html", partial="errors/_error.html", status=status, status_code=status, message=message
    )
    if htmx:
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


def _csrf_error(error: CSRFError) -> Response:
    # The CSRF secret lives in the session, so an expired session fails the CSRF check before the
    # login guard runs: answer as the guard would (HX-Redirect for htmx, PITFALLS 5.4).
    if not current_user.is_authenticated and _needs_admin():
        return _unauthorized()
    return render_error(
        400,
        "This form expired or did not come from Signet, so nothing was changed. "
        "Reload the page and try again.",
    )


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    message = ERROR_MESSAGES.get(status, error.description or "The request failed.")
    response = render_error(status, message)
    # A 405 must name the methods the address does accept (RFC 9110 §15.5.6).
    allowed = error.valid_methods if isinstance(error, MethodNotAllowed) else None
    if allowed:
        response.headers["Allow"] = ", ".join(allowed)
    return response


def _unexpected_error(error: Exception) -> Response:
    if isinstance(error, HTTPException):  # pragma: no cover - routed to _http_error first
        return _http_error(error)
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    if current_app.config.get("PROPAGATE_EXCEPTIONS"):
        raise error
    return _http_error(InternalServerError())
