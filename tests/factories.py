"""Small factories for test data (CTFd's gen_* style)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from webapp.accounts import invites
from webapp.accounts import store as accounts
from webapp.accounts.models import AdminInvite, AdminUser

ADMIN_EMAIL = "alice@acme.example"
ADMIN_PASSWORD = "Correct-Horse-42-Battery"


def gen_admin(
    session: Session, *, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD, **fields: Any
) -> AdminUser:
    """Create (and flush) an admin account."""
    admin = accounts.create_admin(session=session, email=email, password=password)
    for name, value in fields.items():
        setattr(admin, name, value)
    session.add(admin)
    session.flush()
    return admin


def gen_invite(
    session: Session, *, email: str = "bob@acme.example", invited_by: AdminUser | None = None
) -> tuple[AdminInvite, str]:
    """Create (and flush) an invitation, by `invited_by` or a new inviting admin; returns it and its token."""
    if invited_by is None:
        invited_by = accounts.get_admin_by_email(session=session, email=ADMIN_EMAIL) or gen_admin(
            session, email="inviter@acme.example"
        )
    return invites.create_invite(session=session, email=email, invited_by=invited_by)
