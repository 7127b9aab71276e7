"""Invitations for more admins: a one-time link whose token only the invitee ever sees.

Only a SHA-256 of the token is stored, and the link carries it in its #fragment, which browsers
never send to a server (so no access log keeps it).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import timedelta

from sqlmodel import Session, col, select

from webapp.accounts.models import AdminInvite, AdminUser
from webapp.accounts.store import AccountError, NewAdmin, add_admin, get_admin_by_email, validate_email
from webapp.db import utcnow

INVITE_LIFETIME = timedelta(days=3)
# secrets.token_urlsafe(32) gives 43 characters; anything much longer is not one of our tokens.
INVITE_TOKEN_MAX_LENGTH = 100


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_invite(*, session: Session, email: str, invited_by: AdminUser) -> tuple[AdminInvite, str]:
    """Create an invitation and return it with the one-time token to put in the link."""
    normalised = validate_email(email)
    if get_admin_by_email(session=session, email=normalised):
        raise AccountError(f"{normalised} is already an admin.")
    token = secrets.token_urlsafe(32)
    invite = AdminInvite(
        email=normalised,
        token_hash=_hash_token(token),
        invited_by_id=invited_by.id,
        expires_at=utcnow() + INVITE_LIFETIME,
    )
    session.add(invite)
    session.flush()
    return invite, token


def pending_invites(*, session: Session) -> Sequence[AdminInvite]:
    """Invitations not yet accepted, revoked or expired, newest first."""
    statement = (
        select(AdminInvite)
        .where(
            col(AdminInvite.accepted_at).is_(None),
            col(AdminInvite.revoked_at).is_(None),
            AdminInvite.expires_at > utcnow(),
        )
        .order_by(col(AdminInvite.created_at).desc())
    )
    return session.exec(statement).all()


def token_from_link(text: str) -> str:
    """The token in what the invitee pasted: the whole link (`.../invite#TOKEN`) or just the token."""
    return text.strip().rsplit("#", 1)[-1].strip()


def _is_usable(invite: AdminInvite | None) -> bool:
    return not (invite is None or invite.accepted_at or invite.revoked_at or invite.expires_at <= utcnow())


def find_usable_invite(*, session: Session, token: str) -> AdminInvite | None:
    """The pending invitation behind a link's token, or None if unknown, used, revoked or expired."""
    if not token or len(token) > INVITE_TOKEN_MAX_LENGTH:
        return None
    invite = session.exec(select(AdminInvite).where(AdminInvite.token_hash == _hash_token(token))).first()
    return invite if _is_usable(invite) else None


def get_invite(*, session: Session, invite_id: int) -> AdminInvite | None:
    """The invitation with this id (in any state), if any."""
    return session.get(AdminInvite, invite_id)


def get_usable_invite(*, session: Session, invite_id: int) -> AdminInvite | None:
    """The invitation with this id if it is still pending, else None."""
    invite = get_invite(session=session, invite_id=invite_id)
    return invite if _is_usable(invite) else None


def accept_invite(*, session: Session, invite_id: int, new: NewAdmin) -> AdminUser:
    """Turn a pending invitation into an admin account (checked again here); the caller commits."""
    invite = get_usable_invite(session=session, invite_id=invite_id)
    if invite is None or invite.email != new.email:
        raise AccountError("This invitation can't be used any more. Ask an admin to invite you again.")
    admin = add_admin(session=session, new=new)
    invite.accepted_at = utcnow()
    session.add(invite)
    return admin


def revoke_invite(*, session: Session, invite: AdminInvite) -> bool:
    """Revoke a pending invitation; False when it was already accepted or revoked. The caller commits."""
    if invite.accepted_at or invite.revoked_at:
        return False
    invite.revoked_at = utcnow()
    session.add(invite)
    return True
