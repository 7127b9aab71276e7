"""Review: the editor's template field stops at the length Signet accepts, so a browser never sends a
longer one (the request guard would refuse it with a page, losing what was typed)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import AuthActions
from tests.signature_templates.conftest import make_template
from webapp.request_guard import MAX_FORM_VALUE_LENGTH
from webapp.signature_templates.models import MAX_TEMPLATE_LENGTH


def test_the_template_field_has_the_accepted_length_as_its_maximum(
    app: Flask, client: FlaskClient, signed_in: AuthActions
) -> None:
    """The textarea says maxlength 20000 (and the help text the limit), within what requests may carry."""
    assert MAX_TEMPLATE_LENGTH <= MAX_FORM_VALUE_LENGTH
    page = client.get(f"/signatures/{make_template(app)}").get_data(as_text=True)
    assert f'maxlength="{MAX_TEMPLATE_LENGTH}"' in page
    assert f"At most {MAX_TEMPLATE_LENGTH:,} characters." in page
