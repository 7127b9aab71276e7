"""Small helpers for reading responses in tests."""

from __future__ import annotations

import html
from typing import Any


def page_text(response: Any) -> str:
    """The response body with HTML entities decoded (so "don't" matches Jinja's "don&#39;t")."""
    return html.unescape(response.get_data(as_text=True))
