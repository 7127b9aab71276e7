"""Signing in and out, the first admin's account, and accepting an invitation.

No write transaction is ever open while a password is hashed or checked (~150 ms of scrypt): the
views read in a short read-only session, do the slow work with no transaction open, then write
briefly through the request's session (PITFALLS 7.1).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, flash, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlmodel import Session

from webapp.accounts import invites
from webapp.accounts import store as accounts
from webapp.accounts.models import AdminInvite, AdminUser
from webapp.audit.record import audit_request
from webapp.extensions import db
from webapp.rendering import redirect_to, render, safe_next_url
from webapp.request_guard import without_secret_query
from webapp.security import client_ip, public

bp = Blueprint("auth", __name__)
# The invitation being accepted, once its token was exchanged on a POST (never in a URL, PITFALLS 7.3).
INVITE_SESSION_KEY = "invite_id"
WELCOME = "Welcome to Signet. Your admin account is ready."


def _start_session(admin: AdminUser) -> None:
    # Clearing first gives the admin a fresh session (new cookie contents and a new sid), so a
    # session fixed before sign-in is worth nothing after it.
    session.clear()
    session["sid"] = secrets.token_urlsafe(16)
    session.permanent = True
    login_user(admin)


def _admin_count() -> int:
    with db.session_scope(writer=False) as reading:
        return accounts.admin_count(session=reading)


def _create_and_sign_in(
    template: str,
    context: dict[str, Any],
    *,
    email: str,
    add: Callable[[Session, accounts.NewAdmin], AdminUser],
    action: str,
    summary: str,
) -> Response:
    """Handle a "choose your password" form: check and hash (no transaction open), `add` the admin
    in a short write, record `action`, sign the new admin in and go to the dashboard."""
    password = request.form.get("password", "")
    if password != request.form.get("password_confirm", ""):
        return render(template, error="The two passwords differ.", status=422, **context)
    try:
        new = accounts.prepare_admin(email=email, password=password)
        admin = add(db.session, new)
    except accounts.AccountError as error:
        db.session.rollback()
        return render(template, error=str(error), status=422, **context)
    audit_request(action, summary, actor=admin)
    _start_session(admin)
    flash(WELCOME, "success")
    return redirect_to(url_for("dashboard.index"))


@bp.route("/setup/admin", methods=["GET", "POST"])
@public
def setup_admin() -> Response:
    """Create the first admin account; gone (404) once any admin exists."""
    if _admin_count() > 0:
        abort(404)
    if request.method != "POST":  # GET and HEAD only show the form
        return render("accounts/setup_admin.html", form={"email": ""}, error=None)
    form = {"email": request.form.get("email", "")}
    return _create_and_sign_in(
        "accounts/setup_admin.html",
        {"form": form},
        email=form["email"],
        add=lambda db_session, new: accounts.add_first_admin(session=db_session, new=new),
        action="admin.created",
        summary="First admin created",
    )


def _next_url() -> str:
    """Where to go after signing in: a path on this site, never a query string holding secrets."""
    return without_secret_query(safe_next_url(request.values.get("next"), url_for("dashboard.index")))


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Response:
    """Sign in with email and password, throttled per account and address (see `accounts.store`)."""
    next_url = _next_url()
    if _admin_count() == 0:
        return redirect_to(url_for("auth.setup_admin"))
    if current_user.is_authenticated:
        return redirect_to(next_url)
    # Only a POST signs in: HEAD runs this view too (Flask maps it to GET), body or not.
    if request.method != "POST":
        return render("accounts/login.html", email="", next_url=next_url, error=None)
    return _sign_in(request.form.get("email", ""), request.form.get("password", ""), next_url)


def _sign_in(email: str, password: str, next_url: str) -> Response:
    ip_address = client_ip()
    with db.session_scope(writer=False) as reading:
        check = accounts.check_sign_in(session=reading, email=email, ip_address=ip_address)
    if check.throttle.locked:
        return _throttled(email, next_url, check.throttle)
    password_ok = accounts.password_matches(check.admin, password)  # slow; no transaction open
    outcome = accounts.record_sign_in(
        session=db.session, email=email, ip_address=ip_address, admin=check.admin, password_ok=password_ok
    )
    if outcome.throttle.locked:
        db.session.rollback()
        return _throttled(email, next_url, outcome.throttle)
    if outcome.admin is None:
        audit_request("auth.login_failed", "Wrong email or password", actor_email=accounts.attempt_key(email))
        error = "That email and password don't match an admin account."
        return render("accounts/login.html", email=email, next_url=next_url, error=error, status=401)
    accounts.prune_login_attempts(session=db.session)
    audit_request("auth.login", "Signed in", actor=outcome.admin)
    _start_session(outcome.admin)
    return redirect_to(next_url)


def _throttled(email: str, next_url: str, throttle: accounts.Throttle) -> Response:
    minutes = throttle.minutes
    error = f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes != 1 else ''}."
    response = render("accounts/login.html", email=email, next_url=next_url, error=error, status=429)
    response.headers["Retry-After"] = str(int(throttle.retry_after.total_seconds()) + 1)
    return response


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Sign out and forget the session."""
    accounts.end_all_sessions(session=db.session, admin_id=current_user.id)
    audit_request("auth.logout", "Signed out")
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect_to(url_for("auth.login"))


@bp.get("/invite")
@public
def invite() -> Response:
    """Where an invitation link (`/invite#TOKEN`) lands. The token is in the fragment, which browsers
    never send: static/js/invite.js posts it, and without JavaScript the invitee pastes the link."""
    return render("accounts/invite.html", error=None)


@bp.post("/invite")
@public
def open_invite() -> Response:
    """Exchange the invitation's token (posted, so no log keeps it) for a session, then move on to a
    clean address to choose a password."""
    token = invites.token_from_link(request.form.get("token", ""))
    with db.session_scope(writer=False) as reading:
        found = invites.find_usable_invite(session=reading, token=token)
    if found is None:
        return render("accounts/invite_invalid.html", status=404)
    session[INVITE_SESSION_KEY] = found.id
    return redirect_to(url_for("auth.accept_invite"))


def _invite_in_session() -> AdminInvite | None:
    invite_id = session.get(INVITE_SESSION_KEY)
    if not isinstance(invite_id, int):
        return None
    with db.session_scope(writer=False) as reading:
        return invites.get_usable_invite(session=reading, invite_id=invite_id)


@bp.route("/invite/accept", methods=["GET", "POST"])
@public
def accept_invite() -> Response:
    """Let an invited person choose a password and become an admin."""
    found = _invite_in_session()
    if found is None or found.id is None:
        return render("accounts/invite_invalid.html", status=404)
    if request.method != "POST":
        return render("accounts/accept_invite.html", invite=found, error=None)
    invite_id = found.id
    return _create_and_sign_in(
        "accounts/accept_invite.html",
        {"invite": found},
        email=found.email,
        add=lambda db_session, new: invites.accept_invite(session=db_session, invite_id=invite_id, new=new),
        action="admin.invite_accepted",
        summary="Accepted an invitation",
    )
