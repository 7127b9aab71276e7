"""Review: the export API refuses hostile query strings in JSON, like its other errors."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from webapp.delivery import api_tokens
from webapp.extensions import db


@pytest.mark.parametrize("query", ["page=%00", "per_page=1%00", "q=" + "x" * 30_000])
def test_a_hostile_query_gets_a_json_400(app: Flask, client: FlaskClient, query: str) -> None:
    """A NUL byte or an oversized value: 400 with {"error": ...}, never a page or a 500."""
    with app.app_context(), db.session_scope() as session:
        _, token = api_tokens.create_token(session=session, name="poller", created_by=None)
    response = client.get(f"/api/v1/signatures?{query}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert "error" in response.get_json()
