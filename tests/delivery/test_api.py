"""The export API and its tokens: shown once, hashed at rest, revocable; bearer only; pages; ETags."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests.delivery.factories import gen_signed_teammate, set_signature
from tests.helpers import page_text, visible_text
from webapp.delivery.models import ApiToken
from webapp.extensions import db

pytestmark = pytest.mark.usefixtures("signed_in")
NEW_TOKEN = re.compile(r'id="new-api-token" type="text" readonly value="(sgt_[^"]+)"')
JSON = {"Accept": "application/json"}


def _create_token(client: FlaskClient, name: str = "Mail gateway") -> str:
    response = client.post("/settings/api-tokens/", data={"name": name})
    assert response.status_code == 200
    match = NEW_TOKEN.search(page_text(response))
    assert match, page_text(response)
    return match.group(1)


def _bearer(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


def _seed(app: Flask, count: int) -> list[int]:
    with app.app_context(), db.session_scope() as session:
        ids = [gen_signed_teammate(session, name=f"Person {number:02d}").id for number in range(count)]
    return [teammate_id for teammate_id in ids if teammate_id is not None]


def test_token_is_shown_once_and_kept_only_as_a_hash(client: FlaskClient, app: Flask) -> None:
    """The creation answer shows the token; the database and later pages hold only its hash and prefix."""
    token = _create_token(client)
    assert len(token) >= 40
    with app.app_context():
        row = db.session.exec(select(ApiToken)).one()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert row.prefix == token[:12] and row.name == "Mail gateway"
        assert all(token not in str(value) for value in row.model_dump().values())
    settings = page_text(client.get("/settings/"))
    assert token not in settings and f"{token[:12]}…" in settings and "Mail gateway" in settings
    assert token not in page_text(client.get("/settings/api-tokens/"))


def test_token_name_is_required(client: FlaskClient, htmx_client: FlaskClient) -> None:
    """An empty or too long name: 422 with a message next to the field, what was typed kept."""
    response = client.post("/settings/api-tokens/", data={"name": "   "})
    assert response.status_code == 422
    assert "Give the token a name" in page_text(response)
    fragment = htmx_client.post("/settings/api-tokens/", data={"name": "x" * 101})
    assert fragment.status_code == 422
    assert page_text(fragment).lstrip().startswith('<section id="api-tokens"')
    assert "at most 100 characters" in page_text(fragment)


def test_api_needs_a_valid_bearer_token(client: FlaskClient, app: Flask) -> None:
    """No token, a made-up one, a revoked one, or only the admin's session cookie: 401 JSON."""
    _seed(app, 1)
    token = _create_token(client)
    assert client.get("/api/v1/signatures", headers=_bearer(token)).status_code == 200
    session_only = client.get("/api/v1/signatures", headers=JSON)  # signed in, no token
    assert session_only.status_code == 401
    assert session_only.get_json() == {"error": session_only.get_json()["error"]}
    assert session_only.headers["WWW-Authenticate"] == 'Bearer realm="Signet"'
    made_up = client.get("/api/v1/signatures", headers=_bearer("sgt_" + "x" * 43))
    assert made_up.status_code == 401
    assert made_up.headers["WWW-Authenticate"] == 'Bearer realm="Signet", error="invalid_token"'
    with app.app_context():
        token_id = db.session.exec(select(ApiToken)).one().id
    assert client.post(f"/settings/api-tokens/{token_id}/revoke").status_code == 303
    revoked = client.get("/api/v1/signatures/1", headers=_bearer(token))
    assert revoked.status_code == 401 and "revoked" in revoked.get_json()["error"]
    assert client.get("/api/v1/signatures", headers={"Authorization": "Basic YTpi"}).status_code == 401


def test_a_browser_opening_the_api_gets_an_explanation(client: FlaskClient) -> None:
    """Without a token, a client preferring HTML gets a 401 page saying what the address is for."""
    response = client.get("/api/v1/signatures", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 401
    assert response.mimetype == "text/html"
    assert "Signing in to Signet doesn't open it." in visible_text(response)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_last_used_is_recorded(client: FlaskClient, app: Flask) -> None:
    """A request with the token sets its "last used" time."""
    token = _create_token(client)
    client.get("/api/v1/signatures", headers=_bearer(token))
    with app.app_context():
        assert db.session.exec(select(ApiToken)).one().last_used_at is not None


def test_list_is_paginated(client: FlaskClient, app: Flask) -> None:
    """Items by teammate id, page and per_page, totals, next/prev links (and a Link header)."""
    ids = _seed(app, 5)
    token = _create_token(client)
    first = client.get("/api/v1/signatures?per_page=2", headers=_bearer(token)).get_json()
    assert [item["teammate_id"] for item in first["items"]] == ids[:2]
    assert (first["page"], first["per_page"], first["total"], first["pages"]) == (1, 2, 5, 3)
    item = first["items"][0]
    assert set(item) == {
        "teammate_id", "email", "display_name", "template_id", "template_version", "content_hash",
        "rendered_at", "links",
    }  # fmt: skip
    assert item["links"]["html"].endswith(f"/api/v1/signatures/{ids[0]}.html")
    assert "html" not in item
    response = client.get(first["links"]["next"], headers=_bearer(token))
    second = response.get_json()
    assert [item["teammate_id"] for item in second["items"]] == ids[2:4]
    assert second["links"]["prev"].endswith("page=1&per_page=2")
    assert response.headers["Link"] == f'<{second["links"]["next"]}>; rel="next"'
    last = client.get(second["links"]["next"], headers=_bearer(token)).get_json()
    assert [item["teammate_id"] for item in last["items"]] == ids[4:] and "next" not in last["links"]


@pytest.mark.parametrize(
    "query", ["page=0", "page=x", "page=²", "per_page=501", "per_page=-1", "page=" + "9" * 12]
)
def test_bad_paging_is_a_400_json_error(client: FlaskClient, app: Flask, query: str) -> None:
    """Paging values out of range get 400 with a message, never a 500."""
    token = _create_token(client)
    response = client.get(f"/api/v1/signatures?{query}", headers=_bearer(token))
    assert response.status_code == 400
    assert "must be a whole number" in response.get_json()["error"]


def _etag_round(client: FlaskClient, url: str, token: str) -> Any:
    first = client.get(url, headers=_bearer(token))
    etag = first.headers["ETag"]
    assert not etag.startswith("W/")
    again = client.get(url, headers=_bearer(token, **{"If-None-Match": etag}))
    assert again.status_code == 304 and again.get_data() == b""
    return etag


def test_etags_answer_304_until_a_signature_changes(client: FlaskClient, app: Flask) -> None:
    """List and per-teammate answers carry strong ETags; If-None-Match gets 304 until the content changes."""
    ids = _seed(app, 3)
    token = _create_token(client)
    urls = ["/api/v1/signatures", f"/api/v1/signatures/{ids[1]}", f"/api/v1/signatures/{ids[1]}.html"]
    urls.append(f"/api/v1/signatures/{ids[1]}.txt")
    before = {url: _etag_round(client, url, token) for url in urls}
    untouched = _etag_round(client, f"/api/v1/signatures/{ids[0]}", token)
    with app.app_context(), db.session_scope() as session:
        set_signature(
            session, ids[1], html="<p>Person 01, promoted</p>", text="Person 01\npromoted", version=2
        )
    for url in urls:
        changed = client.get(url, headers=_bearer(token, **{"If-None-Match": before[url]}))
        assert changed.status_code == 200, url
        assert changed.headers["ETag"] != before[url]
    still = client.get(f"/api/v1/signatures/{ids[0]}", headers=_bearer(token, **{"If-None-Match": untouched}))
    assert still.status_code == 304


def test_one_teammate_as_json_html_and_text(client: FlaskClient, app: Flask) -> None:
    """Per teammate: JSON with html and text, the HTML alone, the text alone; 404 JSON when none."""
    (teammate_id,) = _seed(app, 1)
    token = _create_token(client)
    data = client.get(f"/api/v1/signatures/{teammate_id}", headers=_bearer(token)).get_json()
    assert data["teammate_id"] == teammate_id and data["display_name"] == "Person 00"
    assert "<strong>Person 00</strong>" in data["html"] and data["text"] == "Person 00\nEngineer"
    html = client.get(f"/api/v1/signatures/{teammate_id}.html", headers=_bearer(token))
    assert html.mimetype == "text/html" and html.get_data(as_text=True) == data["html"]
    assert html.headers["Content-Security-Policy"].startswith("sandbox")
    text = client.get(f"/api/v1/signatures/{teammate_id}.txt", headers=_bearer(token))
    assert text.mimetype == "text/plain" and text.get_data(as_text=True) == data["text"]
    missing = client.get("/api/v1/signatures/999999", headers=_bearer(token))
    assert missing.status_code == 404 and "error" in missing.get_json()


def test_inactive_teammates_are_not_exported(client: FlaskClient, app: Flask) -> None:
    """Only active teammates' signatures are listed."""
    with app.app_context(), db.session_scope() as session:
        gone = gen_signed_teammate(session, name="Left Already", active=False).id
    (kept,) = _seed(app, 1)
    token = _create_token(client)
    listed = client.get("/api/v1/signatures", headers=_bearer(token)).get_json()
    assert [item["teammate_id"] for item in listed["items"]] == [kept]
    assert client.get(f"/api/v1/signatures/{gone}", headers=_bearer(token)).status_code == 404


def test_revoking_answers_htmx_with_the_card(
    client: FlaskClient, htmx_client: FlaskClient, app: Flask
) -> None:
    """The card's revoke button returns the card (page and fragment both render it)."""
    _create_token(client, "Old poller")
    with app.app_context():
        token_id = db.session.exec(select(ApiToken)).one().id
    fragment = htmx_client.post(f"/settings/api-tokens/{token_id}/revoke")
    body = page_text(fragment)
    assert body.lstrip().startswith('<section id="api-tokens"')
    assert "The API token “Old poller” is revoked." in body and "No API tokens yet." in body
    assert "<!doctype html>" in page_text(client.get("/settings/api-tokens/"))
    assert client.post("/settings/api-tokens/999999/revoke").status_code == 404
