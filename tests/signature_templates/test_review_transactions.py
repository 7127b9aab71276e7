"""Review: a refused save or create renders its previews with no write transaction open (PITFALLS
7.1): on SQLite a POST's session holds the write lock from its first query to its commit."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient

from tests.conftest import AuthActions
from tests.signature_templates.conftest import make_template
from webapp.signature_templates import preview


@pytest.fixture
def write_lock_seen(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """For each preview built, whether the request's session held a write transaction then."""
    seen: list[bool] = []
    build = preview.build_preview

    def recording(*args: Any, **kwargs: Any) -> Any:
        session = g.get("db_session")
        writer = session is not None and session.get_bind().get_execution_options().get("signet_writer")
        seen.append(bool(writer and session.in_transaction()))
        return build(*args, **kwargs)

    monkeypatch.setattr(preview, "build_preview", recording)
    return seen


def test_a_refused_save_previews_without_the_write_lock(
    app: Flask, client: FlaskClient, signed_in: AuthActions, write_lock_seen: list[bool]
) -> None:
    """Saving with an empty name: 422 with the editor and its preview, rendered outside any write."""
    template_id = make_template(app)
    response = client.post(f"/signatures/{template_id}", data={"name": "", "html": "<p>{{ first_name }}</p>"})
    assert response.status_code == 422
    assert write_lock_seen == [False]


def test_a_refused_create_renders_the_gallery_without_the_write_lock(
    client: FlaskClient, signed_in: AuthActions, write_lock_seen: list[bool]
) -> None:
    """Creating with an empty name: 422 with the gallery's previews, rendered outside any write."""
    response = client.post("/signatures/new", data={"name": "", "starter": "blank"})
    assert response.status_code == 422
    assert write_lock_seen and not any(write_lock_seen)
