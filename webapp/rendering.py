"""One place decides whether a response is a full page or an htmx fragment."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Response, current_app, make_response, redirect, render_template, request

from webapp.extensions import htmx


def wants_fragment() -> bool:
    """True for htmx requests, except history restores, which need the whole page.

    https://htmx.org/reference/#request_headers (HX-History-Restore-Request), PITFALLS 5.2.
    """
    return bool(htmx) and not htmx.history_restore_request


def render(page: str, *, partial: str | None = None, status: int = 200, **context: Any) -> Response:
    """Render `page`, or only its `partial` for htmx requests, and mark the response `Vary: HX-Request`.

    The page template includes the partial, so the first load and the swap show the same markup.
    """
    template = partial if partial and wants_fragment() else page
    response = make_response(render_template(template, **context), status)
    # Caches (the browser's included) must not hand a fragment to a full-page load, or the reverse.
    response.vary.add("HX-Request")
    return response


def redirect_to(url: str) -> Response:
    """Redirect a plain request with 303, and an htmx request with `HX-Redirect` (a 302 would be
    followed by the XHR and its target swapped into the page; PITFALLS 5.4)."""
    if htmx:
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
    else:
        response = make_response(redirect(url, code=303))
    response.vary.add("HX-Request")
    return response


def base_url() -> str:
    """The instance's public URL (BASE_URL), without a trailing slash."""
    value: str = current_app.config["BASE_URL"]
    return value


def safe_next_url(candidate: str | None, default: str) -> str:
    """`candidate` if it is a path on this site, otherwise `default` (no open redirects)."""
    if not candidate:
        return default
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc or not candidate.startswith("/") or candidate.startswith("//"):
        return default
    if "\\" in candidate:
        return default
    return candidate


def current_path() -> str:
    """The path the browser shows: for htmx requests, the page that sent them."""
    if htmx and htmx.current_url:
        parts = urlsplit(str(htmx.current_url))
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.full_path.rstrip("?")
