"""Small factories for test data (CTFd's gen_* style)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from webapp.accounts import store as accounts
from webapp.accounts.models import AdminUser

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
