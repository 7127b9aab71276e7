"""Signing in and out, the first admin's account, and accepting an invitation."""

from __future__ import annotations

import secrets

from flask import Blueprint, Response, abort, flash, request, session, url_for
from flask_login import current_user, login_user, logout_user

from webapp.accounts import store as accounts
from webapp.accounts.models import AdminUser
from webapp.audit.store import record_event
from webapp.extensions import db
from webapp.rendering import redirect_to, render, safe_next_url
from webapp.security import client_ip, public

bp = Blueprint("auth", __name__)


def _start_session(admin: AdminUser) -> None:
    # Clearing first gives the admin a fresh session (new cookie contents and a new sid), so a
    # session fixed before sign-in is worth nothing after it.
    session.clear()
    session["sid"] = secrets.token_urlsafe(16)
    session.permanent = True
    login_user(admin)


@bp.route("/setup/admin", methods=["GET", "POST"])
@public
def setup_admin() -> Response:
    """Create the first admin account; gone (404) once any admin exists."""
    if accounts.admin_count(session=db.session) > 0:
        abort(404)
    form = {"email": request.form.get("email", "")}
    if request.method == "POST":
        password = request.form.get("password", "")
        if password != request.form.get("password_confirm", ""):
            return render(
                "accounts/setup_admin.html", form=form, error="The two passwords differ.", status=422
            )
        try:
            admin = accounts.create_admin(session=db.session, email=form["email"], password=password)
        except accounts.AccountError as error:
            return render("accounts/setup_admin.html", form=form, error=str(error), status=422)
        record_event(
            session=db.session,
            action="admin.created",
            actor=admin,
            summary="First admin created",
            ip_address=client_ip(),
        )
        db.session.commit()
        _start_session(admin)
        flash("Welcome to Signet. Your admin account is ready.", "success")
        return redirect_to(url_for("dashboard.index"))
    return render("accounts/setup_admin.html", form=form, error=None)


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Response:
    """Sign in with email and password, throttled per account and per IP."""
    next_url = safe_next_url(request.values.get("next"), url_for("dashboard.index"))
    if accounts.admin_count(session=db.session) == 0:
        return redirect_to(url_for("auth.setup_admin"))
    if current_user.is_authenticated:
        return redirect_to(next_url)
    email = request.form.get("email", "")
    if request.method == "GET":
        return render("accounts/login.html", email=email, next_url=next_url, error=None)

    accounts.serialise_sign_ins(session=db.session, email=email)
    throttle = accounts.sign_in_throttle(session=db.session, email=email, ip_address=client_ip())
    if throttle.locked:
        minutes = throttle.minutes
        error = f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes != 1 else ''}."
        response = render("accounts/login.html", email=email, next_url=next_url, error=error, status=429)
        response.headers["Retry-After"] = str(int(throttle.retry_after.total_seconds()) + 1)
        return response

    admin = accounts.authenticate(
        session=db.session, email=email, password=request.form.get("password", ""), ip_address=client_ip()
    )
    if admin is None:
        record_event(
            session=db.session,
            action="auth.login_failed",
            actor_email=accounts.normalise_email(email)[:254],
            summary="Wrong email or password",
            ip_address=client_ip(),
        )
        db.session.commit()
        error = "That email and password don't match an admin account."
        return render("accounts/login.html", email=email, next_url=next_url, error=error, status=401)
    record_event(
        session=db.session, action="auth.login", actor=admin, summary="Signed in", ip_address=client_ip()
    )
    accounts.prune_login_attempts(session=db.session)
    db.session.commit()
    _start_session(admin)
    return redirect_to(next_url)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Sign out and forget the session."""
    record_event(
        session=db.session,
        action="auth.logout",
        actor=current_user,
        summary="Signed out",
        ip_address=client_ip(),
    )
    accounts.end_all_sessions(session=db.session, admin_id=current_user.id)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect_to(url_for("auth.login"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
@public
def accept_invite(token: str) -> Response:
    """Let an invited person choose a password and become an admin."""
    invite = accounts.find_usable_invite(session=db.session, token=token)
    if invite is None:
        return render("accounts/invite_invalid.html", status=404)
    if request.method == "POST":
        password = request.form.get("password", "")
        if password != request.form.get("password_confirm", ""):
            return render(
                "accounts/accept_invite.html", invite=invite, error="The two passwords differ.", status=422
            )
        try:
            admin = accounts.accept_invite(session=db.session, invite=invite, password=password)
        except accounts.AccountError as error:
            return render("accounts/accept_invite.html", invite=invite, error=str(error), status=422)
        record_event(
            session=db.session,
            action="admin.invite_accepted",
            actor=admin,
            summary="Accepted an invitation",
            ip_address=client_ip(),
        )
        db.session.commit()
        _start_session(admin)
        flash("Welcome to Signet. Your admin account is ready.", "success")
        return redirect_to(url_for("dashboard.index"))
    return render("accounts/accept_invite.html", invite=invite, error=None)
