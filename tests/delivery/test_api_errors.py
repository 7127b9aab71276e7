"""Every error under /api/v1 is JSON in the API's error shape (`{"error": message}`), routing errors
included (405 for other methods, 404 for paths no route matches); the page bound and its message agree."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.delivery.factories import gen_signed_teammate
from webapp.delivery import api_tokens, export
from webapp.extensions import db


def _token(app: Flask) -> str:
    with app.app_context(), db.session_scope() as session:
        gen_signed_teammate(session, name="Ada Lovelace")
        _, token = api_tokens.create_token(session=session, name="Gateway", created_by=None)
    return token


def _json_error(response: Any, status: int) -> str:
    """The response is `status`, JSON, exactly `{"error": message}`, not cached; the message."""
    assert response.status_code == status, response.get_data(as_text=True)[:200]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]
    assert response.headers["Cache-Control"] == "no-cache, private"
    return str(body["error"])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/signatures"),
        ("PUT", "/api/v1/signatures"),
        ("DELETE", "/api/v1/signatures"),
        ("PATCH", "/api/v1/signatures"),
        ("POST", "/api/v1/signatures/1"),
        ("PUT", "/api/v1/signatures/1"),
        ("DELETE", "/api/v1/signatures/1"),
        ("DELETE", "/api/v1/signatures/1.html"),
        ("TRACE", "/api/v1/signatures"),
    ],
)
@pytest.mark.parametrize("with_token", [True, False], ids=["token", "no-token"])
def test_other_methods_get_a_405_in_json_with_allow(
    app: Flask, method: str, path: str, with_token: bool
) -> None:
    """The API only reads: any other method is a JSON 405 naming the allowed methods."""
    headers = {"Authorization": f"Bearer {_token(app)}"} if with_token else {}
    response = app.test_client().open(path, method=method, headers=headers)
    assert "does not accept" in _json_error(response, 405)
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/signatures/1.json",
        "/api/v1/signatures/-1",
        "/api/v1/signatures/2147483648",
        "/api/v1/signatures/" + "9" * 400,
        "/api/v1/signatures/1/extra",
        "/api/v1/",
        "/api/v1",
        "/api/v2/signatures",
        "/api/v1/teammates",
    ],
)
def test_paths_no_route_matches_get_a_404_in_json(app: Flask, path: str) -> None:
    """With or without a token, a browser's Accept header or not: JSON, never the HTML 404 page."""
    token = _token(app)
    client = app.test_client()
    for headers in ({"Authorization": f"Bearer {token}"}, {}, {"Accept": "text/html"}):
        assert "nothing at this address" in _json_error(client.get(path, headers=headers), 404)


def test_a_refused_request_on_an_unrouted_api_path_is_json(app: Flask) -> None:
    """The request guard's refusals (a NUL byte here) answer JSON under /api/, routed or not."""
    client = app.test_client()
    assert "control character" in _json_error(client.get("/api/v1/nothing?x=%00"), 400)
    assert "control character" in _json_error(client.get("/api/v1/signatures?page=%00"), 400)


def test_an_unexpected_error_is_a_500_in_json(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in the API answers its clients in JSON too, with the same message pages show."""
    token = _token(app)

    def broken(**_: Any) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(export, "export_page", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/api/v1/signatures", headers={"Authorization": f"Bearer {token}"})
    assert "Something went wrong on our side" in _json_error(response, 500)


def test_the_page_bound_and_its_message_agree(app: Flask) -> None:
    """page=1000000000 is the largest page the message offers: it is answered (empty); one more is not."""
    bearer = {"Authorization": f"Bearer {_token(app)}"}
    client = app.test_client()
    last = client.get("/api/v1/signatures?page=1000000000", headers=bearer)
    assert last.status_code == 200
    assert (last.get_json()["page"], last.get_json()["items"]) == (1_000_000_000, [])
    over = client.get("/api/v1/signatures?page=1000000001", headers=bearer)
    assert _json_error(over, 400) == "page must be a whole number from 1 to 1000000000."
    assert client.get("/api/v1/signatures?per_page=500", headers=bearer).status_code == 200
    assert "from 1 to 500" in _json_error(client.get("/api/v1/signatures?per_page=501", headers=bearer), 400)


def test_pages_outside_the_api_keep_their_html_error_pages(client: FlaskClient) -> None:
    """Only /api/ answers JSON: the same errors elsewhere are still pages."""
    for response in (client.get("/no-such-page"), client.post("/healthz")):
        assert response.mimetype == "text/html" and response.status_code in {404, 405}
