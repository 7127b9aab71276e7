"""Small helpers for reading responses in tests."""

from __future__ import annotations

import html
from typing import Any


def page_text(response: Any) -> str:
    """The response body with HTML entities decoded (so "don't" matches Jinja's "don&#39;t")."""
    return html.unescape(response.get_data(as_text=True))


def visible_text(response: Any) -> str:
    """Roughly what a reader sees: tags removed, entities decoded, whitespace collapsed."""
    import re

    without_tags = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(without_tags).split()).replace(" .", ".")
