"""API tokens for the export API: created and revoked by an admin, shown once, kept as SHA-256.

Typed, keyword-only functions taking a `Session`; they never commit (the views do).
A token is `sgt_` + `secrets.token_urlsafe(32)`; the prefix makes a leaked one easy to recognise
(secret scanners, logs) and its first characters tell the admin's tokens apart.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import Session, col, select

from webapp.db import utcnow
from webapp.delivery.models import ApiToken

TOKEN_PREFIX = "sgt_"  # noqa: S105 - a prefix, not a secret
TOKEN_BYTES = 32
SHOWN_PREFIX_LENGTH = len(TOKEN_PREFIX) + 8
NAME_MAX_LENGTH = 100
# Longer than any token Signet issues (4 + 43 characters): not worth hashing.
PRESENTED_MAX_LENGTH = 200
# "Last used" is written at most this often per token, so a busy poller costs no write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenNameError(ValueError):
    """The name given for a new token can't be used; the message says why, for the form."""


def hash_token(token: str) -> str:
    """The SHA-256 kept for `token`."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def clean_name(name: str) -> str:
    """The token's name, trimmed; raises `TokenNameError` when empty or too long."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise TokenNameError("Give the token a name, such as the system that will use it.")
    if len(cleaned) > NAME_MAX_LENGTH:
        raise TokenNameError(f"The name is too long: at most {NAME_MAX_LENGTH} characters.")
    return cleaned


def create_token(*, session: Session, name: str, created_by: str | None) -> tuple[ApiToken, str]:
    """Create a token named `name`; returns it and the token itself (shown once, never stored)."""
    cleaned = clean_name(name)
    token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    row = ApiToken(
        name=cleaned,
        prefix=token[:SHOWN_PREFIX_LENGTH],
        token_hash=hash_token(token),
        created_by=created_by[:254] if created_by else None,
    )
    session.add(row)
    session.flush()
    return row, token


def active_tokens(*, session: Session) -> list[ApiToken]:
    """Tokens not revoked, newest first."""
    statement = (
        select(ApiToken).where(col(ApiToken.revoked_at).is_(None)).order_by(col(ApiToken.created_at).desc())
    )
    return list(session.exec(statement).all())


def get_token(*, session: Session, token_id: int) -> ApiToken | None:
    """One token by id, revoked or not."""
    return session.get(ApiToken, token_id)


def revoke_token(*, session: Session, token: ApiToken) -> bool:
    """Revoke `token` (it answers 401 from now on); False when it already was."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    session.add(token)
    session.flush()
    return True


def authenticate(*, session: Session, presented: str) -> ApiToken | None:
    """The active token `presented` is, or None (unknown, revoked, malformed).

    Found by its hash through a unique index: the comparison reveals nothing about the token.
    """
    if not presented.startswith(TOKEN_PREFIX) or len(presented) > PRESENTED_MAX_LENGTH:
        return None
    statement = select(ApiToken).where(
        col(ApiToken.token_hash) == hash_token(presented), col(ApiToken.revoked_at).is_(None)
    )
    return session.exec(statement).first()


def needs_last_used_update(token: ApiToken) -> bool:
    """Whether `last_used_at` is stale enough to be written again."""
    return token.last_used_at is None or utcnow() - token.last_used_at >= LAST_USED_RESOLUTION


def mark_used(*, session: Session, token_id: int) -> None:
    """Set the token's `last_used_at` to now."""
    token = session.get(ApiToken, token_id)
    if token is not None:
        token.last_used_at = utcnow()
        session.add(token)
