"""The delivery interface: today's two pull channels, and push channels run on signature changes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlmodel import Session

from tests.delivery.factories import gen_signed_teammate
from webapp.delivery import base
from webapp.delivery.base import ChannelStatus, DeliveryChannel, DeliveryOutcome, DeliveryResult
from webapp.delivery.channels import EXPORT_API, PRIVATE_LINK
from webapp.extensions import db
from webapp.signatures.models import Signature
from webapp.signatures.signals import signatures_changed
from webapp.teammates.models import Teammate


class RecordingPush:
    """A push channel that records what it was asked to deliver (as Gmail's would install it)."""

    key = "recording"
    label = "Recording push"
    is_push = True

    def __init__(self) -> None:
        self.delivered: list[tuple[str, str | None]] = []

    def describe(self, *, session: Session) -> ChannelStatus:
        """Always ready."""
        return ChannelStatus(summary="ready")

    def deliver(self, *, session: Session, teammate: Teammate, signature: Signature | None) -> DeliveryResult:
        """Record the teammate and the signature's hash."""
        self.delivered.append((teammate.display_name, signature.content_hash if signature else None))
        return DeliveryResult(DeliveryOutcome.DELIVERED)


@pytest.fixture
def push() -> Iterator[RecordingPush]:
    """A push channel registered for one test."""
    channel = RecordingPush()
    base.register_channel(channel)
    yield channel
    base._channels.pop(channel.key, None)


def test_todays_channels_are_pull_channels(app: Flask) -> None:
    """The registry lists the private copy page and the export API, neither of them push."""
    channels = {channel.key: channel for channel in base.channels()}
    assert {PRIVATE_LINK, EXPORT_API} <= set(channels)
    for key in (PRIVATE_LINK, EXPORT_API):
        assert isinstance(channels[key], DeliveryChannel)
        assert channels[key].is_push is False
    assert all(channel.key not in {PRIVATE_LINK, EXPORT_API} for channel in base.push_channels())


def test_push_channels_deliver_when_signatures_change(app: Flask, push: RecordingPush) -> None:
    """`signatures_changed` makes every push channel deliver each changed teammate's current signature."""
    with app.app_context(), db.session_scope() as session:
        ada = gen_signed_teammate(session, name="Ada Lovelace")
        gen_signed_teammate(session, name="Grace Hopper")
        expected = session.get(Signature, 1)
        assert expected is not None and ada.id is not None
    signatures_changed.send(app, teammate_ids=frozenset({ada.id, 999_999}))
    assert push.delivered == [("Ada Lovelace", expected.content_hash)]


def test_nothing_is_delivered_without_push_channels(app: Flask) -> None:
    """With only pull channels (today), dispatching delivers nothing and a change signal is harmless."""
    with app.app_context(), db.session_scope() as session:
        ada = gen_signed_teammate(session, name="Ada Lovelace")
        assert base.dispatch_changed(session=session, teammates=[ada], signatures={}) == {}
    signatures_changed.send(app, teammate_ids=frozenset({ada.id}))
