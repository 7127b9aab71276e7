"""The empty state an area shows until it has content (one page template, `pages/placeholder.html`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Area:
    """A navigation area and the empty state it shows until it has content."""

    name: str
    title: str
    url_prefix: str
    empty_title: str
    empty_text: str
