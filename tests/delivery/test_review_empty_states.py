"""Review: the Delivery page's empty states say what to do next."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.delivery.factories import gen_signed_teammate
from tests.helpers import page_text, visible_text
from tests.teammates.factories import gen_teammate
from webapp.extensions import db

pytestmark = pytest.mark.usefixtures("signed_in")


def test_before_any_teammate_the_page_points_at_the_sync(client: FlaskClient) -> None:
    """No teammates: the table says they come with the first sync and links to the Sync page."""
    response = client.get("/delivery/")
    assert "No active teammates yet" in visible_text(response)
    assert 'href="/sync/"' in page_text(response)
    assert 'id="delivery-no-signatures"' not in page_text(response)


def test_before_any_signature_the_page_points_at_templates_and_assignments(
    client: FlaskClient, app: Flask
) -> None:
    """Teammates but no signature yet: a notice sends the admin to publish and assign a template;
    it goes away once a teammate has a signature."""
    with app.app_context(), db.session_scope() as session:
        gen_teammate(session)
    page = page_text(client.get("/delivery/"))
    assert "No teammate has a signature yet" in page
    assert 'href="/signatures/"' in page and 'href="/signatures/assignments/"' in page
    with app.app_context(), db.session_scope() as session:
        gen_signed_teammate(session, name="Bob Babbage")
    assert "No teammate has a signature yet" not in page_text(client.get("/delivery/"))
