"""Reading private links out of admin pages."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from tests.helpers import page_text

LINK_VALUE = re.compile(r'readonly value="(https?://[^"]+/s/[^"]+)"')


def links_on(response: Any) -> list[str]:
    """Every private link shown in a readonly field of the page or fragment."""
    return LINK_VALUE.findall(page_text(response))


def token_of(link: str) -> str:
    """The token of a private link (`.../s/<token>`)."""
    return urlsplit(link).path.rsplit("/", 1)[-1]
