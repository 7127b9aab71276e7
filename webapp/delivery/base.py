"""How a signature gets to a teammate, behind one small interface.

Today both channels are *pull* channels: the teammate (private copy page) or another system (the
export API) fetches the current signature when it wants it, so nothing happens when a signature
changes. A *push* channel (Gmail's `users.settings.sendAs.patch`, Microsoft Graph for Outlook
roaming signatures) sets `is_push = True` and implements `deliver`: `dispatch_changed` calls it for
every teammate whose signature changed, after the change is committed (the `signatures_changed`
signal). A push channel that calls a remote API should queue the work instead of doing it inline.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from sqlmodel import Session

from webapp.signatures.models import Signature
from webapp.teammates.models import Teammate


class DeliveryOutcome(StrEnum):
    """What `deliver` did for one teammate."""

    DELIVERED = "delivered"  # the signature was installed (push)
    REMOVED = "removed"  # the teammate has no signature any more, and it was removed (push)
    PULLED = "pulled"  # nothing to do: the teammate or a system fetches it when they want (pull)
    FAILED = "failed"  # the push failed; `detail` says why


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of delivering one teammate's signature through one channel."""

    outcome: DeliveryOutcome
    detail: str = ""


@dataclass(frozen=True)
class ChannelStatus:
    """What the Delivery page says about a channel: a one-line state and where to manage it."""

    summary: str
    manage_url: str | None = None
    manage_label: str = ""


@runtime_checkable
class DeliveryChannel(Protocol):
    """One way of getting signatures to teammates."""

    key: str  # stable identifier, e.g. "private_link", "export_api", later "gmail"
    label: str  # shown to the admin
    is_push: bool  # True when Signet installs the signature itself (deliver is called on changes)

    def describe(self, *, session: Session) -> ChannelStatus:
        """The channel's state for the Delivery page (counts, where to manage it)."""
        ...

    def deliver(self, *, session: Session, teammate: Teammate, signature: Signature | None) -> DeliveryResult:
        """Get `signature` (None: the teammate has none now) to `teammate` through this channel."""
        ...


_channels: dict[str, DeliveryChannel] = {}


def register_channel(channel: DeliveryChannel) -> None:
    """Add (or replace, by key) a delivery channel."""
    _channels[channel.key] = channel


def channels() -> list[DeliveryChannel]:
    """Every registered channel, in registration order."""
    return list(_channels.values())


def push_channels() -> list[DeliveryChannel]:
    """The channels that install signatures themselves."""
    return [channel for channel in _channels.values() if channel.is_push]


def dispatch_changed(
    *, session: Session, teammates: Collection[Teammate], signatures: dict[int, Signature]
) -> dict[str, list[DeliveryResult]]:
    """Deliver the current signature of each of `teammates` through every push channel.

    Returns each channel's results (empty when no push channel is registered, as today).
    """
    results: dict[str, list[DeliveryResult]] = {}
    for channel in push_channels():
        results[channel.key] = [
            channel.deliver(session=session, teammate=teammate, signature=signatures.get(teammate.id or 0))
            for teammate in teammates
        ]
    return results
