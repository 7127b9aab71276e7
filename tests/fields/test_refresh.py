"""Refreshing Okta's attributes from the Smart fields page: stored on success, a clear message on failure."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.helpers import page_text
from tests.sync.conftest import Connected
from webapp.extensions import db
from webapp.fields import store


def test_refresh_attributes_reads_okta(connected: Connected, client: FlaskClient) -> None:
    """ "Refresh attributes from Okta" stores the schema (the sandbox's custom attributes included)."""
    response = client.post("/smart-fields/refresh-attributes", data={"next": "/smart-fields/new"})
    assert response.status_code == 303 and response.headers["Location"] == "/smart-fields/new"
    assert "LinkedIn URL (linkedinUrl)" in page_text(client.get("/smart-fields/new"))


def test_refresh_attributes_reports_an_okta_failure(connected: Connected, htmx_client: FlaskClient) -> None:
    """Okta failing: a clear message in the notice area, nothing stored, no 500."""
    connected.org.inject_fault("http_error", status=503, count=50, path_prefix="/api/v1/meta/schemas")
    response = htmx_client.post("/smart-fields/refresh-attributes")
    assert response.status_code == 502
    assert "Signet could not read the attributes from Okta" in page_text(response)
    assert response.headers["HX-Retarget"] == "#flash"
    with connected.app.app_context(), db.session_scope(writer=False) as session:
        assert store.okta_attributes(session=session) == []
