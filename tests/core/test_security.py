"""CSRF, security headers, htmx redirects and error swaps."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests.conftest import AuthActions, make_test_app
from tests.core.fake_servers import closed_port, silent_server
from tests.helpers import page_text, visible_text
from webapp.accounts.models import AdminInvite
from webapp.extensions import db


def test_form_post_without_csrf_token_is_refused(
    client: FlaskClient, signed_in: AuthActions, app: Flask
) -> None:
    """A plain form post without the CSRF token gets 400 and changes nothing."""
    response = client.post("/settings/invites", data={"email": "eve@acme.example"}, csrf=False)
    assert response.status_code == 400
    assert "nothing was changed" in page_text(response)
    with app.app_context():
        assert db.session.exec(select(AdminInvite)).all() == []


def test_htmx_post_without_csrf_header_is_refused(
    htmx_client: FlaskClient, signed_in: AuthActions, app: Flask
) -> None:
    """An htmx post without the X-CSRFToken header gets 400, a message for #flash, and changes nothing."""
    response = htmx_client.post("/settings/invites", data={"email": "eve@acme.example"}, csrf=False)
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#flash"
    assert "nothing was changed" in page_text(response)
    with app.app_context():
        assert db.session.exec(select(AdminInvite)).all() == []


def test_forged_csrf_token_is_refused(client: FlaskClient, signed_in: AuthActions) -> None:
    """A made-up token is refused just like a missing one."""
    response = client.post(
        "/settings/invites", data={"email": "eve@acme.example"}, headers={"X-CSRFToken": "forged"}
    )
    assert response.status_code == 400


def test_logout_needs_csrf_token(client: FlaskClient, signed_in: AuthActions) -> None:
    """Sign-out is a state change too: without the token it is refused and the admin stays in."""
    assert client.post("/logout", csrf=False).status_code == 400
    assert client.get("/").status_code == 200


def test_expired_session_on_htmx_request_answers_hx_redirect(
    htmx_client: FlaskClient, auth: AuthActions
) -> None:
    """An htmx request without a session gets HX-Redirect to the login page, not the page swapped in."""
    auth.create_admin()
    response = htmx_client.get("/settings/", headers={"HX-Current-URL": "http://localhost/settings/"})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"].startswith("/login?next=")
    assert "/settings/" in response.headers["HX-Redirect"]
    assert "Location" not in response.headers
    assert page_text(response) == ""


def test_expired_session_on_plain_request_redirects(client: FlaskClient, auth: AuthActions) -> None:
    """A plain request without a session is redirected to the login page with `next`."""
    auth.create_admin()
    response = client.get("/settings/")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path", ["/", "/login", "/healthz", "/no-such-page"])
def test_security_headers_on_every_response(client: FlaskClient, auth: AuthActions, path: str) -> None:
    """Every response carries the CSP (no inline script), nosniff, referrer policy and frame protection."""
    auth.create_admin()
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_have_no_inline_script(client: FlaskClient, signed_in: AuthActions) -> None:
    """Pages load scripts only from files, and htmx is configured safely."""
    body = client.get("/").get_data(as_text=True)
    assert "<script>" not in body
    assert "/static/vendor/htmx-2.0.11/htmx.min.js" in body
    assert '"selfRequestsOnly":true' in body and '"allowEval":false' in body


def test_page_and_fragment_vary_on_hx_request(
    client: FlaskClient, htmx_client: FlaskClient, signed_in: AuthActions
) -> None:
    """A URL serving page and fragment sends Vary: HX-Request; htmx gets the fragment, a browser the page."""
    fragment = htmx_client.get("/setup/okta?step=2")
    assert "HX-Request" in fragment.headers["Vary"]
    assert page_text(fragment).lstrip().startswith('<div id="okta-wizard"')
    assert "<!doctype html>" not in page_text(fragment)
    full = client.get("/setup/okta?step=2")
    assert "HX-Request" in full.headers["Vary"]
    assert full.get_data(as_text=True).lstrip().startswith("<!doctype html>")
    assert full.headers["Cache-Control"] == "no-store"


def test_history_restore_gets_the_full_page(htmx_client: FlaskClient, signed_in: AuthActions) -> None:
    """An htmx history-restore request gets the whole page, not a fragment."""
    response = htmx_client.post(
        "/settings/invites", data={"email": "x@acme.example"}, headers={"HX-History-Restore-Request": "true"}
    )
    assert page_text(response).lstrip().startswith("<!doctype html>")


def test_htmx_errors_are_sent_to_the_notice_area(htmx_client: FlaskClient, signed_in: AuthActions) -> None:
    """A 404 on an htmx request comes back as a readable message retargeted to #flash."""
    response = htmx_client.get("/no-such-page")
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#flash"
    body = page_text(response)
    assert "There is nothing at this address." in body
    assert "<!doctype" not in body


def test_healthz_reports_database(client: FlaskClient) -> None:
    """/healthz answers 200 with the database reachable, without signing in, naming nothing."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_reports_unreachable_database(tmp_path: Path) -> None:
    """/healthz answers 503 when the database cannot be reached, without naming the dialect or error."""
    app = _app_with_database(tmp_path, f"postgresql+psycopg://nobody@127.0.0.1:{closed_port()}/none")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}


def test_healthz_answers_503_within_two_seconds_when_database_hangs(tmp_path: Path) -> None:
    """A database server that accepts connections and never answers gets a 503 in under 2 s."""
    with silent_server() as port:
        app = _app_with_database(tmp_path, f"postgresql+psycopg://signet:pw@127.0.0.1:{port}/signet")
        answers: list[tuple[int, float]] = []

        def call() -> None:
            started = time.monotonic()
            response = app.test_client().get("/healthz")
            answers.append((response.status_code, time.monotonic() - started))

        caller = threading.Thread(target=call, daemon=True)
        caller.start()
        caller.join(timeout=3)
        assert answers, "/healthz did not answer within 3 s"
        status, seconds = answers[0]
        assert status == 503 and seconds < 2
        # Checks while the first is still stuck answer at once instead of piling up threads.
        for _ in range(3):
            started = time.monotonic()
            assert app.test_client().get("/healthz").status_code == 503
            assert time.monotonic() - started < 2


def _app_with_database(tmp_path: Path, url: str) -> Flask:
    from tests.conftest import TEST_SECRET_KEY
    from webapp import create_app

    return create_app(
        {
            "SECRET_KEY": TEST_SECRET_KEY,
            "INSTANCE_PATH": str(tmp_path),
            "DATABASE_URL": url,
            "DATABASE_CHECK_ON_START": False,  # the point is to start without it
        }
    )


def test_hsts_is_sent_only_when_served_over_https(tmp_path: Path) -> None:
    """An https BASE_URL adds Strict-Transport-Security; plain http (local use) does not."""
    secure = make_test_app(
        f"sqlite:///{tmp_path / 's.db'}", tmp_path / "s", BASE_URL="https://signet.acme.example"
    )
    plain = make_test_app(f"sqlite:///{tmp_path / 'p.db'}", tmp_path / "p")
    assert secure.test_client().get("/login").headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in plain.test_client().get("/login").headers


@pytest.mark.parametrize("path", ["/setup//okta", "/login", "/settings/"])
def test_redirects_never_name_the_requests_host(client: FlaskClient, path: str) -> None:
    """A forged Host header never ends up in a Location (Werkzeug's slash-merging redirect included)."""
    response = client.get(path, headers={"Host": "evil.example"})
    assert 300 <= response.status_code < 400
    assert response.headers["Location"].startswith("/")
    assert "evil.example" not in response.headers["Location"]
    assert "evil.example" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/teammates/", "Teammates appear here after the first sync from Okta. Connect Okta to get started."),
        ("/smart-fields/", "They are available once Okta is connected."),
        ("/signatures/", "Connect Okta first, then create your first template."),
        ("/sync/", "Connect Okta to start syncing."),
        ("/setup/okta", "Open your Okta admin console"),
    ],
)
def test_areas_show_an_empty_state(client: FlaskClient, signed_in: AuthActions, path: str, says: str) -> None:
    """Each area not built yet tells the admin what to do next (its own next step, with a link to it)."""
    response = client.get(path)
    assert response.status_code == 200
    assert says in visible_text(response)
    if path != "/setup/okta":
        assert 'href="/setup/okta"' in page_text(response)


def test_expired_session_on_htmx_post_answers_hx_redirect(
    htmx_client: FlaskClient, auth: AuthActions
) -> None:
    """An htmx POST after the session expired gets HX-Redirect to sign in, not a CSRF error."""
    auth.create_admin()
    response = htmx_client.post(
        "/settings/invites",
        data={"email": "x@acme.example"},
        headers={"HX-Current-URL": "http://localhost/settings/", "X-CSRFToken": "from-an-old-session"},
        csrf=False,
    )
    assert response.headers["HX-Redirect"].startswith("/login?next=")
    assert "HX-Request" in response.headers["Vary"]
