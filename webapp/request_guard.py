"""Checks at the edge, before any view runs: hostile input, HEAD requests, secrets in query strings.

- Every query and form value is refused (400) if it holds a NUL byte or another control character
  (PostgreSQL rejects NUL in text; a header built from CR/LF splits) or is longer than any field
  needs, so no view or store function ever sees one (PITFALLS 7.5).
- Flask answers HEAD with the GET view. Views that change state on GET (an OAuth callback must)
  are marked `@changes_state_on_get` and refuse HEAD, so a HEAD never changes anything (PITFALLS 7.4).
- Views whose query string carries secrets (an authorization code) are marked `@secret_query`: a
  URL kept for later (the login page's `next`) drops their query string (PITFALLS 7.3).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import current_app, request
from werkzeug.exceptions import HTTPException

ViewFunction = TypeVar("ViewFunction", bound=Callable[..., Any])

# Form values may be long (a signature template); query values are short by nature.
MAX_FORM_VALUE_LENGTH = 20_000
MAX_QUERY_VALUE_LENGTH = 2_000
MAX_NAME_LENGTH = 100
# C0 controls and DEL. Forms may keep tab and line breaks (a textarea); query values keep none.
FORM_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
QUERY_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused before its view runs, in words for the person who sent it."""

    status: int
    message: str
    allow: str | None = None


def changes_state_on_get(view: ViewFunction) -> ViewFunction:
    """Mark a GET view that changes state (OAuth's redirect back must be a GET): HEAD is refused."""
    view.changes_state_on_get = True  # type: ignore[attr-defined]
    return view


def secret_query(view: ViewFunction) -> ViewFunction:
    """Mark a view whose query string carries secrets: never keep it in a `next` URL."""
    view.secret_query = True  # type: ignore[attr-defined]
    return view


def refusal_for(view: Callable[..., Any] | None) -> Refusal | None:
    """Why the current request must not reach `view`, or None when it may."""
    if request.method == "HEAD" and getattr(view, "changes_state_on_get", False):
        return Refusal(405, "This address only answers a browser's GET.", allow="GET")
    problem = _problem_in(request.args.items(multi=True), QUERY_FORBIDDEN, MAX_QUERY_VALUE_LENGTH)
    if problem is None:
        problem = _problem_in(request.form.items(multi=True), FORM_FORBIDDEN, MAX_FORM_VALUE_LENGTH)
    if problem is None:
        return None
    return Refusal(400, f"{problem} Nothing was changed.")


def _problem_in(items: Iterable[tuple[str, str]], forbidden: re.Pattern[str], max_length: int) -> str | None:
    for name, value in items:
        if len(name) > MAX_NAME_LENGTH or forbidden.search(name):
            return "The request has a field name Signet doesn't accept."
        if forbidden.search(value):
            return f"“{name}” contains a control character (such as a NUL byte), which Signet doesn't accept."
        if len(value) > max_length:
            return f"“{name}” is too long: at most {max_length:,} characters are accepted."
    return None


def without_secret_query(url: str) -> str:
    """`url` (a path on this site), without its query string if that routes to a `@secret_query` view.

    When the path can't be matched to a view, the query is dropped too: nothing unknown is kept.
    """
    parts = urlsplit(url)
    if not parts.query:
        return url
    try:
        endpoint, _ = current_app.url_map.bind("localhost").match(parts.path, method="GET")
    except HTTPException:  # not found, wrong method, or a redirect (a missing trailing slash)
        return parts.path
    view = current_app.view_functions.get(str(endpoint))
    return parts.path if getattr(view, "secret_query", False) else url
