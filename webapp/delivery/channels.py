"""The two delivery channels Signet has today (both pull), and the listener that runs push channels.

Both describe themselves from the database; `describe` builds URLs, so it runs in a request.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, url_for
from sqlmodel import Session

from webapp.delivery import api_tokens, links
from webapp.delivery.base import (
    ChannelStatus,
    DeliveryOutcome,
    DeliveryResult,
    dispatch_changed,
    push_channels,
    register_channel,
)
from webapp.extensions import db
from webapp.signatures.models import Signature
from webapp.signatures.signals import signatures_changed
from webapp.signatures.store import current_signatures
from webapp.teammates.models import Teammate
from webapp.teammates.store import get_teammate

PRIVATE_LINK = "private_link"
EXPORT_API = "export_api"


class PrivateLinkChannel:
    """Each teammate opens their private link and copies their current signature into their mail app."""

    key = PRIVATE_LINK
    label = "Private copy page"
    is_push = False

    def describe(self, *, session: Session) -> ChannelStatus:
        """How many active teammates have a link."""
        have = links.count_active_links(session=session)
        total = links.count_active_teammates(session=session)
        return ChannelStatus(
            summary=f"{have} of {total} active teammates have a private link.",
            manage_url=url_for("delivery.index") + "#delivery-links",
            manage_label="Manage links",
        )

    def deliver(self, *, session: Session, teammate: Teammate, signature: Signature | None) -> DeliveryResult:
        """Nothing to send: the page always shows the current signature."""
        return DeliveryResult(DeliveryOutcome.PULLED)


class ExportApiChannel:
    """Another system (a mail gateway, a script) fetches signatures from `GET /api/v1/signatures`."""

    key = EXPORT_API
    label = "Export API"
    is_push = False

    def describe(self, *, session: Session) -> ChannelStatus:
        """How many API tokens are active."""
        count = len(api_tokens.active_tokens(session=session))
        noun = "token is" if count == 1 else "tokens are"
        return ChannelStatus(
            summary=f"{count} API {noun} active. Pollers fetch only what changed (ETag, If-None-Match).",
            manage_url=url_for("delivery_api_tokens.index"),
            manage_label="Manage API tokens",
        )

    def deliver(self, *, session: Session, teammate: Teammate, signature: Signature | None) -> DeliveryResult:
        """Nothing to send: pollers see the new signature (and a new ETag) on their next request."""
        return DeliveryResult(DeliveryOutcome.PULLED)


def _on_signatures_changed(app: Flask, **kwargs: Any) -> None:
    """Run push channels for the teammates whose signature changed (none are registered today)."""
    teammate_ids = frozenset(kwargs.get("teammate_ids") or ())
    if not push_channels() or not teammate_ids:
        return
    with app.app_context(), db.session_scope(writer=False) as session:
        teammates = [
            teammate
            for teammate_id in sorted(teammate_ids)
            if (teammate := get_teammate(session=session, teammate_id=teammate_id)) is not None
        ]
        signatures = current_signatures(session=session, teammate_ids=teammate_ids)
        dispatch_changed(session=session, teammates=teammates, signatures=signatures)


def init_channels() -> None:
    """Register today's channels and listen for signature changes (idempotent)."""
    register_channel(PrivateLinkChannel())
    register_channel(ExportApiChannel())
    signatures_changed.connect(_on_signatures_changed, weak=False)
