"""Settings: the instance's admins, their invitations, and the audit trail."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request, url_for
from flask_login import current_user

from webapp.accounts import store as accounts
from webapp.audit.store import recent_events, record_event
from webapp.extensions import db
from webapp.rendering import base_url, redirect_to, render, wants_fragment
from webapp.security import client_ip

bp = Blueprint("settings", __name__, url_prefix="/settings")


def _admins_context(**extra: Any) -> dict[str, Any]:
    return {
        "admins": accounts.list_admins(session=db.session),
        "invites": accounts.pending_invites(session=db.session),
        "invite_link": None,
        "invite_error": None,
        "invite_email": "",
        **extra,
    }


@bp.get("/")
def index() -> Response:
    """Admins, pending invitations and recent audit events."""
    return render(
        "pages/settings.html", events=recent_events(session=db.session, limit=50), **_admins_context()
    )


@bp.post("/invites")
def create_invite() -> Response:
    """Invite another admin: Signet shows a one-time link to send them (it sends no email itself)."""
    email = request.form.get("email", "")
    try:
        invite, token = accounts.create_invite(session=db.session, email=email, invited_by=current_user)
    except accounts.AccountError as error:
        context = _admins_context(invite_error=str(error), invite_email=email)
        return render(
            "pages/settings.html",
            partial="pages/_admins.html",
            status=422,
            events=recent_events(session=db.session),
            **context,
        )
    record_event(
        session=db.session,
        action="admin.invited",
        actor=current_user,
        summary=f"Invited {invite.email}",
        ip_address=client_ip(),
    )
    db.session.commit()
    link = url_for("auth.accept_invite", token=token, _external=False)
    return render(
        "pages/settings.html",
        partial="pages/_admins.html",
        events=recent_events(session=db.session),
        **_admins_context(invite_link=base_url() + link),
    )


@bp.post("/invites/<int:invite_id>/revoke")
def revoke_invite(invite_id: int) -> Response:
    """Revoke a pending invitation so its link stops working."""
    invite = accounts.revoke_invite(session=db.session, invite_id=invite_id)
    if invite is not None:
        record_event(
            session=db.session,
            action="admin.invite_revoked",
            actor=current_user,
            summary=f"Revoked the invitation for {invite.email}",
            ip_address=client_ip(),
        )
        db.session.commit()
    if not wants_fragment():
        return redirect_to(url_for("settings.index"))  # plain form: 303, so a reload doesn't re-post
    return render(
        "pages/settings.html",
        partial="pages/_admins.html",
        events=recent_events(session=db.session),
        **_admins_context(),
    )
