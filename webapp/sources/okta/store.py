"""Data access for the Okta setup: wizard progress, the connection row and connect attempts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col, delete, select

from webapp.db import utcnow
from webapp.sources.okta.models import OAuthAttempt, OktaConnection, OktaSetupProgress, secret_digest

CONNECTION_ID = 1
PROGRESS_ID = 1
ATTEMPT_LIFETIME = timedelta(minutes=10)


def get_progress(*, session: Session) -> OktaSetupProgress:
    """The wizard's saved progress (an unsaved blank one on a fresh instance)."""
    return session.get(OktaSetupProgress, PROGRESS_ID) or OktaSetupProgress(id=PROGRESS_ID)


def save_progress(*, session: Session, progress: OktaSetupProgress) -> OktaSetupProgress:
    """Store the wizard's progress; the caller commits."""
    progress.updated_at = utcnow()
    # JSON columns are compared by identity: assign a new list so the change is seen.
    progress.completed_steps = sorted(set(progress.completed_steps))
    session.add(progress)
    return progress


def record_connect_problem(
    *, session: Session, code: str, message: str, step: int | None
) -> OktaSetupProgress:
    """Remember the latest connect failure so the wizard can show it beside the step to fix."""
    progress = get_progress(session=session)
    progress.last_error_code = code
    progress.last_error_message = message[:1000]
    progress.last_error_step = step
    if step is not None:
        progress.current_step = step
    return save_progress(session=session, progress=progress)


def clear_connect_problem(*, session: Session, code: str | None = None) -> None:
    """Forget the last connect failure (a new attempt started, or it succeeded); with `code`, only
    a problem of that kind (the one the admin just fixed)."""
    progress = get_progress(session=session)
    if code is not None and progress.last_error_code != code:
        return
    progress.last_error_code = progress.last_error_message = None
    progress.last_error_step = None
    save_progress(session=session, progress=progress)


def get_connection(*, session: Session) -> OktaConnection | None:
    """The Okta connection row, if Signet was ever connected."""
    return session.get(OktaConnection, CONNECTION_ID)


def get_connection_for_update(*, session: Session) -> OktaConnection | None:
    """The connection row, freshly read and locked until the transaction ends (PostgreSQL `FOR UPDATE`;
    SQLite writer transactions are serialised already), for a read-then-write of its tokens."""
    statement = (
        select(OktaConnection)
        .where(OktaConnection.id == CONNECTION_ID)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.exec(statement).first()


def create_attempt(
    *,
    session: Session,
    state: str,
    admin_id: int,
    okta_origin: str,
    client_id: str,
    redirect_uri: str,
    code_verifier_ciphertext: str,
    nonce: str,
    dpop_key_ciphertext: str | None = None,
) -> OAuthAttempt:
    """Record a new connect attempt (and drop attempts too old to matter).

    `state` and `nonce` are kept only as hashes (`OAuthAttempt.state_hash`, `.nonce_hash`).
    """
    session.exec(delete(OAuthAttempt).where(col(OAuthAttempt.expires_at) < utcnow() - timedelta(days=1)))
    attempt = OAuthAttempt(
        state_hash=secret_digest(state),
        admin_id=admin_id,
        okta_origin=okta_origin,
        client_id=client_id,
        redirect_uri=redirect_uri,
        code_verifier_ciphertext=code_verifier_ciphertext,
        dpop_key_ciphertext=dpop_key_ciphertext,
        nonce_hash=secret_digest(nonce),
        expires_at=utcnow() + ATTEMPT_LIFETIME,
    )
    session.add(attempt)
    return attempt


def claim_attempt(*, session: Session, state: str, admin_id: int) -> OAuthAttempt | None:
    """Mark this admin's unused attempt with `state` as used and return it; None if there is none.

    One conditional UPDATE, so two deliveries of the same callback can't both claim it.
    """
    if not state:
        return None
    state_hash = secret_digest(state)
    result = session.exec(
        update(OAuthAttempt)
        .where(col(OAuthAttempt.state_hash) == state_hash)
        .where(col(OAuthAttempt.admin_id) == admin_id)
        .where(col(OAuthAttempt.used_at).is_(None))
        .values(used_at=utcnow())
    )
    if result.rowcount != 1:
        return None
    return session.exec(select(OAuthAttempt).where(OAuthAttempt.state_hash == state_hash)).first()


def callback_pending(*, session: Session, admin_id: int) -> bool:
    """Whether this admin's newest connect attempt is still waiting for Okta's callback."""
    newest = session.exec(
        select(OAuthAttempt)
        .where(OAuthAttempt.admin_id == admin_id)
        .order_by(col(OAuthAttempt.created_at).desc(), col(OAuthAttempt.id).desc())
    ).first()
    return newest is not None and newest.used_at is None
