"""First admin, sign-in and sign-out (throttling and invitations have their own modules)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import col, select

from tests import factories
from tests.conftest import AuthActions
from tests.helpers import page_text
from webapp.accounts import store as accounts
from webapp.accounts.models import LoginAttempt
from webapp.audit.models import AuditEvent
from webapp.extensions import db


def test_fresh_instance_sends_everyone_to_first_admin_setup(client: FlaskClient) -> None:
    """With no admin yet, the dashboard and the login page lead to /setup/admin."""
    for path in ("/", "/login", "/settings/"):
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["Location"].endswith("/setup/admin")


def test_first_admin_is_created_and_signed_in(client: FlaskClient, app: Flask) -> None:
    """The first-admin form creates the account, signs it in and lands on the dashboard."""
    response = client.post(
        "/setup/admin",
        data={
            "email": " Alice@Acme.example ",
            "password": factories.ADMIN_PASSWORD,
            "password_confirm": factories.ADMIN_PASSWORD,
        },
    )
    assert response.status_code == 303
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    assert "Connect Okta to get started" in page_text(dashboard)
    with app.app_context():
        admin = accounts.get_admin_by_email(session=db.session, email="alice@acme.example")
        assert admin is not None and admin.password_hash.startswith("scrypt:")
        actions = [e.action for e in db.session.exec(select(AuditEvent)).all()]
        assert "admin.created" in actions


def test_first_admin_page_is_gone_once_an_admin_exists(client: FlaskClient, auth: AuthActions) -> None:
    """After the first admin exists, /setup/admin answers 404 to GET and POST alike."""
    auth.create_admin()
    assert client.get("/setup/admin").status_code == 404
    response = client.post(
        "/setup/admin",
        data={
            "email": "mallory@evil.example",
            "password": "Another-Strong-Pass-9",
            "password_confirm": "Another-Strong-Pass-9",
        },
    )
    assert response.status_code == 404


def test_weak_password_is_refused_with_reasons(client: FlaskClient) -> None:
    """A weak first-admin password is refused with a specific reason and the email kept in the form."""
    response = client.post(
        "/setup/admin", data={"email": "alice@acme.example", "password": "short", "password_confirm": "short"}
    )
    assert response.status_code == 422
    body = page_text(response)
    assert "at least 12 characters" in body
    assert 'value="alice@acme.example"' in body


def test_mismatched_passwords_are_refused(client: FlaskClient) -> None:
    """Two different passwords in the first-admin form are refused."""
    response = client.post(
        "/setup/admin",
        data={"email": "alice@acme.example", "password": factories.ADMIN_PASSWORD, "password_confirm": "x"},
    )
    assert response.status_code == 422
    assert "The two passwords differ." in page_text(response)


def test_login_and_logout(client: FlaskClient, auth: AuthActions) -> None:
    """Signing in reaches the dashboard; signing out makes it ask for sign-in again."""
    auth.create_admin()
    assert client.get("/").status_code == 303
    assert auth.login().status_code == 303
    assert client.get("/").status_code == 200
    assert auth.logout().status_code == 303
    response = client.get("/")
    assert response.status_code == 303
    assert "/login" in response.headers["Location"]


def test_login_redirects_to_the_page_asked_for_but_never_off_site(
    client: FlaskClient, auth: AuthActions
) -> None:
    """`next` brings the admin back where they were, but an external URL is ignored."""
    auth.create_admin()
    creds = {"email": factories.ADMIN_EMAIL, "password": factories.ADMIN_PASSWORD}
    response = client.post("/login", data={**creds, "next": "/settings/"})
    assert response.headers["Location"] == "/settings/"
    client.post("/logout")
    response = client.post("/login", data={**creds, "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_wrong_password_is_refused(client: FlaskClient, auth: AuthActions, app: Flask) -> None:
    """A wrong password (or an unknown email) gets 401, a message that does not say which part was
    wrong, no session, and is recorded as a failure for that account."""
    auth.create_admin()
    response = auth.login(password="Not-The-Right-One-1")
    assert response.status_code == 401
    assert "don't match an admin account" in page_text(response)
    assert client.get("/").status_code == 303  # still signed out
    unknown = auth.login(email="nobody@acme.example")
    assert unknown.status_code == 401
    assert page_text(unknown).count("don't match an admin account") == 1
    with app.app_context():
        attempts = db.session.exec(select(LoginAttempt).order_by(col(LoginAttempt.id))).all()
        assert [(a.email, a.succeeded) for a in attempts] == [
            (factories.ADMIN_EMAIL, False),
            ("nobody@acme.example", False),
        ]
        failed = db.session.exec(select(AuditEvent).where(AuditEvent.action == "auth.login_failed")).all()
        assert [e.actor_email for e in failed] == [factories.ADMIN_EMAIL, "nobody@acme.example"]


def test_head_with_a_form_body_never_signs_in(client: FlaskClient, auth: AuthActions, app: Flask) -> None:
    """HEAD /login with the right email and password in its body (no CSRF token) signs no one in and
    records nothing: only a POST signs in."""
    auth.create_admin()
    credentials = {"email": factories.ADMIN_EMAIL, "password": factories.ADMIN_PASSWORD}
    response = client.open("/login", method="HEAD", data=credentials)
    assert response.status_code == 200
    assert client.get("/").status_code == 303
    with app.app_context():
        assert db.session.exec(select(LoginAttempt)).all() == []
        assert db.session.exec(select(AuditEvent)).all() == []


@pytest.mark.parametrize(
    ("next_url", "status"),
    [
        ("/settings/\r\nSet-Cookie: planted=1", 303),
        ("/réglages", 303),
        ("//evil.example/", 303),
        ("/\\evil.example", 303),
        ("/settings/\x00", 400),  # refused at the edge: no NUL byte reaches a view
    ],
)
def test_hostile_next_never_breaks_sign_in(
    client: FlaskClient, auth: AuthActions, next_url: str, status: int
) -> None:
    """A `next` with CR/LF, non-ASCII or another site lands on the dashboard; a NUL byte gets a 400."""
    auth.create_admin()
    creds = {"email": factories.ADMIN_EMAIL, "password": factories.ADMIN_PASSWORD}
    response = client.post("/login", data={**creds, "next": next_url})
    assert response.status_code == status
    if status == 303:
        assert response.headers["Location"] == "/"
        assert "planted" not in response.headers.get("Set-Cookie", "")
    else:
        assert "control character" in page_text(response)


def test_only_one_first_admin_even_when_two_setups_race(app: Flask) -> None:
    """The first-admin step re-checks inside its write: a second prepared first admin is refused."""
    first = accounts.prepare_admin(email="alice@acme.example", password=factories.ADMIN_PASSWORD)
    second = accounts.prepare_admin(email="mallory@evil.example", password="Another-Strong-Pass-9")
    with app.app_context(), db.session_scope() as session:
        accounts.add_first_admin(session=session, new=first)
    with app.app_context(), db.session_scope() as session, pytest.raises(accounts.AccountError):
        accounts.add_first_admin(session=session, new=second)


def test_okta_callback_query_never_travels_in_next(client: FlaskClient, auth: AuthActions) -> None:
    """Signed out, Okta's callback sends to the login page without its code and state in `next`; a
    `next` naming the callback with a query keeps only the path."""
    auth.create_admin()
    callback = "/callbacks/okta?code=SECRET-CODE&state=SECRET-STATE"
    response = client.get(callback)
    assert response.status_code == 303
    assert response.headers["Location"] == "/login?next=/callbacks/okta"
    form = page_text(client.get("/login?next=" + quote(callback, safe="")))
    assert "SECRET" not in form
    creds = {"email": factories.ADMIN_EMAIL, "password": factories.ADMIN_PASSWORD}
    signed_in = client.post("/login", data={**creds, "next": callback})
    assert signed_in.headers["Location"] == "/callbacks/okta"
    landed = client.get("/callbacks/okta")  # no state: not from Okta, so the wizard says where things are
    assert landed.status_code == 303 and landed.headers["Location"] == "/setup/okta"
    client.post("/logout")
    kept = client.post("/login", data={**creds, "next": "/setup/okta?step=7"})
    assert kept.headers["Location"] == "/setup/okta?step=7"


def test_session_is_rotated_at_login(client: FlaskClient, auth: AuthActions) -> None:
    """The session cookie's contents before sign-in are not carried over after it."""
    auth.create_admin()
    with client.session_transaction() as session:
        session["planted"] = "by-an-attacker"
    auth.login()
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("sid")


def test_session_cookie_flags(client: FlaskClient, auth: AuthActions) -> None:
    """The session cookie is HttpOnly and SameSite=Lax."""
    auth.create_admin()
    response = auth.login()
    cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie" and "signet_session" in v)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_create_admin_cli(app: Flask) -> None:
    """`flask create-admin EMAIL` prompts for the password and creates the admin."""
    runner = app.test_cli_runner()
    password = factories.ADMIN_PASSWORD
    result = runner.invoke(args=["create-admin", "dave@acme.example"], input=f"{password}\n{password}\n")
    assert result.exit_code == 0, result.output
    assert "Admin dave@acme.example created" in result.output
    with app.app_context():
        assert accounts.get_admin_by_email(session=db.session, email="dave@acme.example")


def test_create_admin_cli_refuses_weak_password(app: Flask) -> None:
    """The CLI refuses a weak password with the same reasons as the web form."""
    result = app.test_cli_runner().invoke(args=["create-admin", "dave@acme.example"], input="weak\nweak\n")
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output


def test_sign_out_ends_copies_of_the_session_cookie(client: FlaskClient, auth: AuthActions) -> None:
    """After signing out, a copy of the old session cookie no longer signs anyone in."""
    auth.create_admin()
    auth.login()
    stolen = client.get_cookie("signet_session")
    assert stolen is not None
    auth.logout()
    client.set_cookie("signet_session", stolen.value)
    response = client.get("/")
    assert response.status_code == 303
    assert "/login" in response.headers["Location"]
