"""Small helpers the delivery views share: the secret box, link URLs, headers for secret-bearing pages."""

from __future__ import annotations

from flask import Response, url_for

from webapp.crypto import SecretBox
from webapp.rendering import base_url
from webapp.sources.okta.service import okta_services
from webapp.teammates.models import Teammate

# Responses that carry a private link (admin pages, the CSV, the private page itself): kept by no
# cache, and a page's address never leaves in a Referer header.
NO_STORE = "no-store"


def secret_box() -> SecretBox:
    """The instance's secret box (the same key that encrypts Okta's tokens, webapp.crypto)."""
    return okta_services.secret_box


def private_url(token: str) -> str:
    """The absolute private link for `token` (BASE_URL + /s/<token>)."""
    return base_url() + url_for("delivery_private.page", token=token)


def teammate_name(teammate: Teammate) -> str:
    """How a teammate is named on pages and in the CSV."""
    return teammate.display_name or teammate.email or f"Teammate {teammate.id}"


def no_store(response: Response) -> Response:
    """Mark `response` as not to be kept by any cache."""
    response.headers["Cache-Control"] = NO_STORE
    return response
