"""Inviting another admin: the one-time link, joining with it, revoking it."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests import factories
from tests.conftest import AuthActions
from tests.helpers import page_text
from webapp.accounts import invites
from webapp.audit.models import AuditEvent
from webapp.extensions import db

BOB_PASSWORD = "Bobs-Own-Passw0rd!"


def _invite_link(client: FlaskClient, email: str = "bob@acme.example") -> str:
    response = client.post("/settings/invites", data={"email": email})
    assert response.status_code == 200
    return page_text(response).split('id="invite-link" type="text" readonly value="', 1)[1].split('"', 1)[0]


def _make_invite(app: Flask, email: str = "carol@acme.example") -> tuple[int, str]:
    with app.app_context(), db.session_scope() as session:
        invite, token = factories.gen_invite(session, email=email)
        assert invite.id is not None
        return invite.id, token


def test_invitation_link_keeps_its_token_out_of_path_and_query(
    client: FlaskClient, signed_in: AuthActions, app: Flask
) -> None:
    """The link carries its token only in the #fragment, which browsers never send to a server."""
    link = urlsplit(_invite_link(client))
    assert f"{link.scheme}://{link.netloc}" == app.config["BASE_URL"]
    assert (link.path, link.query) == ("/invite", "")
    assert len(link.fragment) >= 40


def test_invited_admin_can_join_once(client: FlaskClient, signed_in: AuthActions, app: Flask) -> None:
    """The link's page posts the token (by script, or pasted), the invitee chooses a password at a clean
    address and is signed in; the link is then dead."""
    token = urlsplit(_invite_link(client)).fragment
    signed_in.logout()
    landing = page_text(client.get("/invite"))
    assert 'action="/invite"' in landing and 'name="token"' in landing and "js/invite.js" in landing
    opened = client.post("/invite", data={"token": token})
    assert opened.status_code == 303
    assert opened.headers["Location"] == "/invite/accept"
    form = page_text(client.get("/invite/accept"))
    assert "bob@acme.example" in form and token not in form
    joined = client.post("/invite/accept", data={"password": BOB_PASSWORD, "password_confirm": BOB_PASSWORD})
    assert joined.status_code == 303
    assert client.get("/").status_code == 200
    client.post("/logout")
    assert client.post("/invite", data={"token": token}).status_code == 404
    assert client.get("/invite/accept").status_code == 404
    assert signed_in.login(email="bob@acme.example", password=BOB_PASSWORD).status_code == 303


def test_a_pasted_whole_link_opens_the_invitation(client: FlaskClient, signed_in: AuthActions) -> None:
    """Without JavaScript the invitee pastes the whole link into the form; that works too."""
    link = _invite_link(client)
    signed_in.logout()
    assert client.post("/invite", data={"token": f"  {link} "}).headers["Location"] == "/invite/accept"


def test_accepting_without_opening_a_link_is_refused(client: FlaskClient, auth: AuthActions) -> None:
    """/invite/accept with no invitation in the session shows the invalid-invitation page."""
    auth.create_admin()
    assert client.get("/invite/accept").status_code == 404
    response = client.post(
        "/invite/accept", data={"password": BOB_PASSWORD, "password_confirm": BOB_PASSWORD}
    )
    assert response.status_code == 404
    assert "This invitation can't be used" in page_text(response)


def test_weak_password_on_invitation_is_refused(client: FlaskClient, auth: AuthActions, app: Flask) -> None:
    """The invitee gets the same password rules as the first admin, and can try again."""
    auth.create_admin()
    _, token = _make_invite(app)
    client.post("/invite", data={"token": token})
    weak = client.post("/invite/accept", data={"password": "short", "password_confirm": "short"})
    assert weak.status_code == 422
    assert "at least 12 characters" in page_text(weak)
    good = client.post("/invite/accept", data={"password": BOB_PASSWORD, "password_confirm": BOB_PASSWORD})
    assert good.status_code == 303


def test_revoked_invitation_link_stops_working(
    client: FlaskClient, signed_in: AuthActions, app: Flask
) -> None:
    """Revoking an invitation kills its link, even after it was opened."""
    invite_id, token = _make_invite(app)
    assert client.post(f"/settings/invites/{invite_id}/revoke").status_code == 303
    signed_in.logout()
    assert client.post("/invite", data={"token": token}).status_code == 404
    other_id, other_token = _make_invite(app, email="dave@acme.example")
    client.post("/invite", data={"token": other_token})
    signed_in.login()
    client.post(f"/settings/invites/{other_id}/revoke")
    client.post("/logout")
    response = client.post(
        "/invite/accept", data={"password": BOB_PASSWORD, "password_confirm": BOB_PASSWORD}
    )
    assert response.status_code == 404


def test_revoking_an_unknown_invitation_is_not_found(
    client: FlaskClient, signed_in: AuthActions, app: Flask
) -> None:
    """Revoking an invitation that doesn't exist (or an id too large for the database) answers 404 and
    records nothing."""
    assert client.post("/settings/invites/4242/revoke").status_code == 404
    assert client.post(f"/settings/invites/{2**63}/revoke").status_code == 404
    with app.app_context():
        revoked = db.session.exec(select(AuditEvent).where(AuditEvent.action == "admin.invite_revoked")).all()
        assert revoked == []


def test_revoking_twice_records_once(htmx_client: FlaskClient, signed_in: AuthActions, app: Flask) -> None:
    """A second revoke of the same invitation changes nothing and records nothing more."""
    invite_id, _ = _make_invite(app)
    first = htmx_client.post(f"/settings/invites/{invite_id}/revoke")
    assert first.status_code == 200
    assert page_text(first).lstrip().startswith('<section id="admins"')
    assert htmx_client.post(f"/settings/invites/{invite_id}/revoke").status_code == 200
    with app.app_context():
        revoked = db.session.exec(select(AuditEvent).where(AuditEvent.action == "admin.invite_revoked")).all()
        assert len(revoked) == 1


def test_inviting_an_existing_admin_is_refused(htmx_client: FlaskClient, signed_in: AuthActions) -> None:
    """Inviting an email that is already an admin re-renders the admins card with a 422 and a reason."""
    response = htmx_client.post("/settings/invites", data={"email": factories.ADMIN_EMAIL})
    assert response.status_code == 422
    body = page_text(response)
    assert body.lstrip().startswith('<section id="admins"')
    assert "is already an admin" in body


def test_find_usable_invite_refuses_tokens_that_cannot_be_ours(app: Flask) -> None:
    """Empty and overlong tokens are refused without a lookup."""
    with app.app_context():
        assert invites.find_usable_invite(session=db.session, token="") is None
        assert invites.find_usable_invite(session=db.session, token="x" * 10_000) is None
