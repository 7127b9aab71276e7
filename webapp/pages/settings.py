"""Settings: the instance's admins, their invitations, and the audit trail."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request, url_for
from flask_login import current_user

from webapp.accounts import invites
from webapp.accounts import store as accounts
from webapp.accounts.models import AdminInvite
from webapp.audit.record import audit_request
from webapp.audit.store import recent_events
from webapp.delivery.api_token_views import card_context as api_tokens_card
from webapp.extensions import db
from webapp.rendering import base_url, found_or_404, redirect_to, render, wants_fragment

bp = Blueprint("settings", __name__, url_prefix="/settings")
# Ids are 32-bit integers in every database Signet supports; a larger one in a URL is simply not found.
MAX_ID = 2**31 - 1
ADMINS_CARD = "pages/_admins.html"


def _settings(*, partial: str | None = ADMINS_CARD, status: int = 200, **admins: Any) -> Response:
    """The Settings page, or for htmx only its admins card (`partial`), with `admins` overriding the
    card's defaults (a new invitation link, an error)."""
    context: dict[str, Any] = {
        "admins": accounts.list_admins(session=db.session),
        "invites": invites.pending_invites(session=db.session),
        "invite_link": None,
        "invite_error": None,
        "invite_email": "",
        **api_tokens_card(),
        **admins,
    }
    events = recent_events(session=db.session, limit=50)
    return render("pages/settings.html", partial=partial, status=status, events=events, **context)


def _invite_or_404(invite_id: int) -> AdminInvite:
    return found_or_404(invites.get_invite(session=db.session, invite_id=invite_id))


@bp.get("/")
def index() -> Response:
    """Admins, pending invitations and recent audit events."""
    return _settings(partial=None)


@bp.post("/invites")
def create_invite() -> Response:
    """Invite another admin: Signet shows a one-time link to send them (it sends no email itself).

    The token goes in the link's #fragment, which browsers never send, so it reaches no server log.
    """
    email = request.form.get("email", "")
    try:
        invite, token = invites.create_invite(session=db.session, email=email, invited_by=current_user)
    except accounts.AccountError as error:
        db.session.rollback()
        return _settings(status=422, invite_error=str(error), invite_email=email)
    audit_request("admin.invited", f"Invited {invite.email}")
    return _settings(invite_link=base_url() + url_for("auth.invite", _anchor=token))


@bp.post(f"/invites/<int(max={MAX_ID}):invite_id>/revoke")
def revoke_invite(invite_id: int) -> Response:
    """Revoke a pending invitation so its link stops working (404 for an unknown invitation)."""
    invite = _invite_or_404(invite_id)
    if invites.revoke_invite(session=db.session, invite=invite):
        audit_request("admin.invite_revoked", f"Revoked the invitation for {invite.email}")
    if not wants_fragment():
        return redirect_to(url_for("settings.index"))  # plain form: 303, so a reload doesn't re-post
    return _settings()
