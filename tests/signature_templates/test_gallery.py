"""The starter gallery renders cleanly through the renderer, and the usage provider tells the smart
fields area which templates use which field."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import AuthActions
from tests.signature_templates.conftest import FIELDS, make_template, publish, save
from webapp.extensions import db
from webapp.fields.usage import field_usage
from webapp.signature_templates.gallery import STARTERS, StarterTemplate
from webapp.signature_templates.preview import SAMPLE_VALUES
from webapp.signature_templates.renderer import render_signature, template_warnings

BASE_URL = "https://signet.acme.example"


@pytest.mark.parametrize("starter", STARTERS, ids=[starter.key for starter in STARTERS])
def test_gallery_layouts_render_without_warnings(starter: StarterTemplate) -> None:
    """Each layout renders with the default fields and sample values, with no warning at all."""
    rendered = render_signature(starter.html, SAMPLE_VALUES, base_url=BASE_URL)
    assert template_warnings(starter.html, known_fields=FIELDS, rendered=rendered) == []
    assert "Alex" in rendered.html and "alex.morgan@example.com" in rendered.text
    assert "<table" in rendered.html and "<style" not in rendered.html
    if "<img" in starter.html:
        assert f'src="{BASE_URL}/static/img/signature-sample-' in rendered.html


@pytest.mark.parametrize("starter", STARTERS, ids=[starter.key for starter in STARTERS])
def test_gallery_layouts_leave_no_empty_lines(starter: StarterTemplate) -> None:
    """Without phones, title or company, their lines vanish (no label without a value)."""
    values = {"display_name": "Ada Lovelace", "first_name": "Ada", "last_name": "Lovelace"}
    rendered = render_signature(starter.html, values, base_url=BASE_URL)
    for label in ("Mobile:", "Phone:", "mailto:", "tel:", " | "):
        assert label not in rendered.html
    assert "Ada" in rendered.text


def test_usage_provider_reports_published_and_draft_fields(
    app: Flask, client: FlaskClient, signed_in: AuthActions
) -> None:
    """A field in the published version counts as published; one only in the draft does not."""
    template_id = make_template(app, name="Sales", html="<p>{{ first_name }}</p>")
    publish(client, template_id)
    save(client, template_id, "<p>{{ first_name }} {{ job_title }}</p>")
    make_template(app, name="Broken", html="{{ 'A' * 10**9 }}")  # refused drafts use nothing
    with app.app_context(), db.session_scope(writer=False) as session, app.test_request_context():
        usage = field_usage(session)
    assert [(use.template_name, use.published) for use in usage["first_name"]] == [("Sales", True)]
    assert [(use.template_name, use.published) for use in usage["job_title"]] == [("Sales", False)]
    assert usage["first_name"][0].url == f"/signatures/{template_id}"
