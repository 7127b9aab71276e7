"""One place decides whether a response is a full page or an htmx fragment."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    g,
    has_request_context,
    make_response,
    redirect,
    render_template,
    request,
)
from flask_login import current_user
from markupsafe import Markup

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
    fragment = bool(partial) and wants_fragment()
    template = partial if fragment and partial else page
    # `rendered_as_fragment` lets a partial add what only a swap needs (a top-level <title>, which
    # htmx uses for the document title: https://htmx.org/docs/#title).
    response = make_response(render_template(template, rendered_as_fragment=fragment, **context), status)
    # Caches (the browser's included) must not hand a fragment to a full-page load, or the reverse.
    response.vary.add("HX-Request")
    return response


def json_response(body: dict[str, Any], *, status: int = 200) -> Response:
    """`body` as the export API answers: compact JSON with sorted keys, never kept by shared caches,
    varying with the `Authorization` header that decides what it shows."""
    data = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    response = Response(data, status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-cache, private"
    response.vary.add("Authorization")
    return response


def json_error(status: int, message: str) -> Response:
    """An error in the export API's shape, `{"error": message}`: the API's own refusals and, for any
    path under /api/, the app's error handlers (404 and 405 from routing, the request guard, a 500)."""
    return json_response({"error": message}, status=status)


_Found = TypeVar("_Found")


def found_or_404(found: _Found | None) -> _Found:
    """What a lookup found, or a 404 page when it found nothing."""
    if found is None:
        abort(404)
    return found


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
    if not candidate or not candidate.startswith("/") or candidate.startswith("//") or "\\" in candidate:
        return default
    # Only printable ASCII: CR/LF would split the Location header, and this app's paths are ASCII.
    if not candidate.isascii() or not candidate.isprintable():
        return default
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc:
        return default
    return candidate


def current_path() -> str:
    """The path the browser shows: for htmx requests, the page that sent them."""
    if htmx and htmx.current_url:
        parts = urlsplit(str(htmx.current_url))
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.full_path.rstrip("?")


def format_datetime(value: datetime | None, resolution: str = "minute", *, empty: str = "never") -> Markup:
    """Jinja filter `datetime`: a UTC time as `<time>`, the same format on every page.

    `resolution` is "day", "minute" or "second"; `None` renders `empty`.
    """
    if value is None:
        return Markup.escape(empty)
    formats = {"day": "%Y-%m-%d", "minute": "%Y-%m-%d %H:%M UTC", "second": "%Y-%m-%d %H:%M:%S UTC"}
    text = value.strftime(formats[resolution])
    return Markup('<time datetime="{}">{}</time>').format(value.isoformat(), text)


@dataclass(frozen=True)
class Banner:
    """A page-wide notice shown above every page until its cause is fixed (e.g. "Okta needs reconnecting")."""

    id: str
    title: str
    message: str
    link_url: str
    link_text: str


BannerProvider = Callable[[], "Banner | None"]


def register_banner(app: Flask, provider: BannerProvider) -> None:
    """Let an area add a banner; providers run once per request, only for signed-in admins."""
    app.extensions.setdefault("signet_banners", []).append(provider)


def _page_context() -> dict[str, Any]:
    # Computed once per request (not once per rendered template), so pages with several partials
    # query each area once.
    if "signet_banners" not in g:
        providers: list[BannerProvider] = current_app.extensions.get("signet_banners", [])
        signed_in = current_user.is_authenticated if has_request_context() else False
        banners = [provider() for provider in providers] if signed_in else []
        g.signet_banners = [banner for banner in banners if banner is not None]
    return {"banners": g.signet_banners}


def init_app(app: Flask) -> None:
    """Register the template filters and the page-wide context shared by every area."""
    app.add_template_filter(format_datetime, "datetime")
    app.context_processor(_page_context)
