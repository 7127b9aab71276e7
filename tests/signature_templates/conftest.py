"""Fixtures for the signature templates tests: smart fields, teammates, templates and publishing."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from tests.fields.factories import gen_field
from webapp.extensions import db
from webapp.signature_templates import impact, store
from webapp.signature_templates.models import SignatureTemplate

# The default smart fields a connected instance has, mapped to the Okta attributes the factories set.
FIELDS = {
    "first_name": "firstName",
    "last_name": "lastName",
    "display_name": "displayName",
    "job_title": "title",
    "department": "department",
    "organization": "organization",
    "email": "email",
    "mobile_phone": "mobilePhone",
    "primary_phone": "primaryPhone",
}
DIGEST = re.compile(r'name="draft_digest" value="([0-9a-f]{64})"')


def gen_fields(session: Session) -> None:
    """The default smart fields (flushed)."""
    for key, attribute in FIELDS.items():
        gen_field(session, key, attribute)


def gen_template(
    session: Session, name: str = "Sales", html: str = "<p>{{ first_name }}</p>"
) -> SignatureTemplate:
    """A template whose draft is `html` (flushed, not published)."""
    return store.create_template(session=session, name=name, html=html, by="alice@acme.example")


def make_template(app: Flask, name: str = "Sales", html: str = "<p>{{ first_name }}</p>") -> int:
    """Create a template in its own transaction and return its id."""
    with app.app_context(), db.session_scope() as session:
        template = gen_template(session, name, html)
        assert template.id is not None
        return template.id


def publish(client: FlaskClient, template_id: int) -> object:
    """Publish the saved draft through the review page and its form, as an admin does."""
    review = client.get(f"/signatures/{template_id}/publish")
    match = DIGEST.search(review.get_data(as_text=True))
    assert match, review.get_data(as_text=True)
    return client.post(f"/signatures/{template_id}/publish", data={"draft_digest": match.group(1)})


def save(client: FlaskClient, template_id: int, html: str, name: str = "Sales") -> object:
    """Save the draft through the editor form."""
    return client.post(f"/signatures/{template_id}", data={"name": name, "html": html, "action": "save"})


@pytest.fixture
def no_impact_provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No area registered to count a publish's impact (the signatures area's provider is set aside)."""
    monkeypatch.setattr(impact, "_provider", [])
    yield
