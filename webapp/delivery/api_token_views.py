"""Settings › API tokens: create a token for the export API (shown once), see when each was last used,
revoke it. The same card sits on the Settings page; this page is where a plain form lands.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, request, url_for
from flask_login import current_user

from webapp.audit.record import audit_request
from webapp.delivery import api_tokens
from webapp.delivery.web import no_store
from webapp.extensions import db
from webapp.rendering import base_url, found_or_404, redirect_to, render, wants_fragment

bp = Blueprint("delivery_api_tokens", __name__, url_prefix="/settings/api-tokens")
MAX_ID = 2**31 - 1
CARD = "delivery/_api_tokens.html"


def card_context(**overrides: Any) -> dict[str, Any]:
    """What the API tokens card shows: active tokens, the API's address, and `overrides` (a new
    token shown once, an error with what was typed)."""
    return {
        "api_tokens": api_tokens.active_tokens(session=db.session),
        "api_url": base_url() + url_for("delivery_api.signatures"),
        "new_api_token": None,
        "new_api_token_name": "",
        "api_token_notice": None,
        "api_token_error": None,
        "api_token_name": "",
        **overrides,
    }


def _card(*, status: int = 200, **overrides: Any) -> Response:
    return render("delivery/api_tokens.html", partial=CARD, status=status, **card_context(**overrides))


@bp.get("/")
def index() -> Response:
    """The API tokens card on a page of its own."""
    return _card()


@bp.post("/")
def create() -> Response:
    """Create a token; the answer shows it once (never stored, never shown again)."""
    name = request.form.get("name", "")
    try:
        token, secret = api_tokens.create_token(session=db.session, name=name, created_by=current_user.email)
    except api_tokens.TokenNameError as error:
        db.session.rollback()
        return _card(
            status=422, api_token_error=str(error), api_token_name=name[: api_tokens.NAME_MAX_LENGTH]
        )
    audit_request("api_token.created", f"Created the API token “{token.name}” ({token.prefix}…)")
    return no_store(_card(new_api_token=secret, new_api_token_name=token.name))


@bp.post(f"/<int(max={MAX_ID}):token_id>/revoke")
def revoke(token_id: int) -> Response:
    """Revoke a token: requests with it get 401 from now on."""
    token = found_or_404(api_tokens.get_token(session=db.session, token_id=token_id))
    if api_tokens.revoke_token(session=db.session, token=token):
        audit_request("api_token.revoked", f"Revoked the API token “{token.name}” ({token.prefix}…)")
        message = f"The API token “{token.name}” is revoked."
    else:
        message = f"The API token “{token.name}” was already revoked."
    if not wants_fragment():
        flash(message, "success")
        return redirect_to(url_for("settings.index") + "#api-tokens")
    return _card(api_token_notice=message)
