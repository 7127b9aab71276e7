"""Small periodic clean-ups."""

from __future__ import annotations

from flask import Flask

from webapp.accounts import store as accounts
from webapp.extensions import db


def prune_login_attempts(app: Flask) -> None:
    """Forget sign-in attempts too old to matter for throttling (hourly; sign-ins also prune)."""
    with db.session_scope() as session:
        accounts.prune_login_attempts(session=session)
