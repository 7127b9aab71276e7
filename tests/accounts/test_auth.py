"""First admin, sign-in, sign-out, throttling and invitations."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests import factories
from tests.conftest import AuthActions
from tests.helpers import page_text
from webapp.accounts import store as accounts
from webapp.accounts.models import LoginAttempt
from webapp.audit.models import AuditEvent
from webapp.db import utcnow
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
    """A wrong password gets 401 and a message that does not say which part was wrong."""
    auth.create_admin()
    response = auth.login(password="Not-The-Right-One-1")
    assert response.status_code == 401
    assert "don't match an admin account" in page_text(response)
    unknown = auth.login(email="nobody@acme.example")
    assert unknown.status_code == 401
    with app.app_context():
        assert db.session.exec(select(LoginAttempt)).all()


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


def test_repeated_failures_lock_the_account_with_a_clear_wait(client: FlaskClient, auth: AuthActions) -> None:
    """Five wrong passwords lock the account; even the right one is refused with 'try again in N minutes'."""
    auth.create_admin()
    for _ in range(accounts.MAX_FAILURES_PER_ACCOUNT):
        assert auth.login(password="Wrong-Password-123").status_code == 401
    response = auth.login()
    assert response.status_code == 429
    body = page_text(response)
    assert "Too many failed sign-ins. Try again in 15 minutes." in body
    assert int(response.headers["Retry-After"]) > 0


def test_lock_lifts_after_the_window(app: Flask, auth: AuthActions) -> None:
    """Failures older than the throttle window no longer count."""
    auth.create_admin()
    with app.app_context(), db.session_scope() as session:
        old = utcnow() - accounts.THROTTLE_WINDOW - timedelta(seconds=1)
        for _ in range(accounts.MAX_FAILURES_PER_ACCOUNT):
            session.add(LoginAttempt(email=factories.ADMIN_EMAIL, ip_address="127.0.0.1", attempted_at=old))
    assert auth.login().status_code == 303


def test_failures_from_one_ip_lock_that_ip(app: Flask, client: FlaskClient, auth: AuthActions) -> None:
    """Many failures from one IP across different accounts lock that IP out."""
    auth.create_admin()
    with app.app_context(), db.session_scope() as session:
        for number in range(accounts.MAX_FAILURES_PER_IP):
            session.add(LoginAttempt(email=f"guess{number}@acme.example", ip_address="127.0.0.1"))
    response = auth.login()
    assert response.status_code == 429
    assert "Try again in" in page_text(response)


def test_throttle_minutes_round_up() -> None:
    """The wait shown is rounded up to whole minutes and never shows zero."""
    assert accounts.Throttle(locked=True, retry_after=timedelta(seconds=61)).minutes == 2
    assert accounts.Throttle(locked=True, retry_after=timedelta(seconds=5)).minutes == 1


def test_invited_admin_can_join_once(client: FlaskClient, signed_in: AuthActions, app: Flask) -> None:
    """An invitation link lets the invitee set a password once; the link is then dead."""
    response = client.post("/settings/invites", data={"email": "bob@acme.example"})
    assert response.status_code == 200
    body = page_text(response)
    link = body.split('id="invite-link" type="text" readonly value="', 1)[1].split('"', 1)[0]
    path = link.replace(app.config["BASE_URL"], "")
    signed_in.logout()
    assert client.get(path).status_code == 200
    password = "Bobs-Own-Passw0rd!"
    joined = client.post(path, data={"password": password, "password_confirm": password})
    assert joined.status_code == 303
    client.post("/logout")
    assert client.get(path).status_code == 404
    assert signed_in.login(email="bob@acme.example", password=password).status_code == 303


def test_revoked_invitation_link_stops_working(
    client: FlaskClient, signed_in: AuthActions, app: Flask
) -> None:
    """Revoking an invitation kills its link."""
    with app.app_context(), db.session_scope() as session:
        admin = accounts.get_admin_by_email(session=session, email=factories.ADMIN_EMAIL)
        assert admin is not None
        invite, token = accounts.create_invite(session=session, email="carol@acme.example", invited_by=admin)
        invite_id = invite.id
    assert client.post(f"/settings/invites/{invite_id}/revoke").status_code == 303
    assert client.get(f"/invite/{token}").status_code == 404


def test_inviting_an_existing_admin_is_refused(htmx_client: FlaskClient, signed_in: AuthActions) -> None:
    """Inviting an email that is already an admin re-renders the admins card with a 422 and a reason."""
    response = htmx_client.post("/settings/invites", data={"email": factories.ADMIN_EMAIL})
    assert response.status_code == 422
    body = page_text(response)
    assert body.lstrip().startswith('<section id="admins"')
    assert "is already an admin" in body


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
