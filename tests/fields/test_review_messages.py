"""Review: moving a smart field without JavaScript says what happened, like every other action."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.fields.test_pages import field_id, seed
from tests.helpers import visible_text

pytestmark = pytest.mark.usefixtures("signed_in")


def test_moving_a_field_says_so(app: Flask, client: FlaskClient) -> None:
    """A plain-form move lands on the list with "Moved {{ key }} down."; a move past the end says
    the field is already last."""
    seed(app)
    job_title = field_id(app, "job_title")
    moved = client.post(f"/smart-fields/{job_title}/move", data={"direction": "down"}, follow_redirects=True)
    assert "Moved {{ job_title }} down." in visible_text(moved)
    client.post(f"/smart-fields/{job_title}/move", data={"direction": "down"})
    last = client.post(f"/smart-fields/{job_title}/move", data={"direction": "down"}, follow_redirects=True)
    assert "{{ job_title }} is already last." in visible_text(last)
