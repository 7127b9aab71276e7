"""Admin accounts: creation, passwords, sign-in throttling and invitations."""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlmodel import Session, col, delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.accounts.models import AdminInvite, AdminUser, LoginAttempt
from webapp.db import utcnow

MIN_PASSWORD_LENGTH = 12
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_IP = 20
INVITE_LIFETIME = timedelta(days=3)
# werkzeug's scrypt (n=2**15, r=8, p=1): memory-hard, in the standard library, no extra wheel.
PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - an algorithm name
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
COMMON_PASSWORDS = frozenset(
    {
        "password1234",
        "passwordpassword",
        "123456789012",
        "qwertyuiopas",
        "letmeinletmein",
        "iloveyou1234",
        "administrator",
        "welcome12345",
        "changeme1234",
    }
)
# A hash computed once so an unknown email costs as much as a wrong password (no timing oracle).
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16), method=PASSWORD_HASH_METHOD)


class AccountError(ValueError):
    """A request about accounts that cannot be honoured; the message is shown to the admin."""


def normalise_email(email: str) -> str:
    """Trim and lower-case an email address for lookups and uniqueness."""
    return email.strip().lower()


def validate_email(email: str) -> str:
    """Return the normalised email or raise `AccountError` with a specific message."""
    normalised = normalise_email(email)
    if not normalised:
        raise AccountError("Enter an email address.")
    if len(normalised) > 254 or not EMAIL_PATTERN.match(normalised):
        raise AccountError(f"“{email.strip()}” is not a valid email address.")
    return normalised


def password_problems(password: str, *, email: str = "") -> list[str]:
    """Every reason `password` is too weak, in words an admin can act on; empty when it is fine."""
    problems: list[str] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"Use at least {MIN_PASSWORD_LENGTH} characters (this one has {len(password)}).")
    classes = sum(
        bool(re.search(pattern, password)) for pattern in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]")
    )
    # A long passphrase is strong without symbols; a short password needs variety.
    if len(password) < 16 and classes < 3:
        problems.append(
            "Mix at least three of: lower-case, upper-case, digits, symbols (or use 16+ characters)."
        )
    if password.lower() in COMMON_PASSWORDS or len(set(password)) < 5:
        problems.append("This password is too common or repetitive.")
    local_part = normalise_email(email).split("@", 1)[0]
    if len(local_part) >= 4 and local_part in password.lower():
        problems.append("Don't use your email name in the password.")
    return problems


def hash_password(password: str) -> str:
    """Hash a password with the project's KDF."""
    return generate_password_hash(password, method=PASSWORD_HASH_METHOD)


def admin_count(*, session: Session) -> int:
    """How many admin accounts exist."""
    return session.exec(select(func.count()).select_from(AdminUser)).one()


def get_admin(*, session: Session, admin_id: int) -> AdminUser | None:
    """The admin with this id, if any."""
    return session.get(AdminUser, admin_id)


def get_admin_by_email(*, session: Session, email: str) -> AdminUser | None:
    """The admin with this email (case-insensitive), if any."""
    statement = select(AdminUser).where(AdminUser.email == normalise_email(email))
    return session.exec(statement).first()


def list_admins(*, session: Session) -> Sequence[AdminUser]:
    """All admins, oldest first."""
    return session.exec(select(AdminUser).order_by(col(AdminUser.created_at), col(AdminUser.id))).all()


def create_admin(*, session: Session, email: str, password: str) -> AdminUser:
    """Create an admin after checking the email and the password's strength; the caller commits."""
    normalised = validate_email(email)
    problems = password_problems(password, email=normalised)
    if problems:
        raise AccountError(" ".join(problems))
    if get_admin_by_email(session=session, email=normalised):
        raise AccountError(f"An admin with the email {normalised} already exists.")
    admin = AdminUser(email=normalised, password_hash=hash_password(password))
    session.add(admin)
    session.flush()
    return admin


@dataclass(frozen=True)
class Throttle:
    """Whether sign-in is currently refused, and for how long."""

    locked: bool
    retry_after: timedelta = timedelta(0)

    @property
    def minutes(self) -> int:
        """Whole minutes to wait, rounded up, at least 1 while locked."""
        return max(1, math.ceil(self.retry_after.total_seconds() / 60))


def _unlock_time(failures: Sequence[datetime], limit: int) -> datetime | None:
    """When enough failures have aged out of the window for one more attempt, or None if not locked."""
    if len(failures) < limit:
        return None
    # Newest first: the attempt at index limit-1 is the one that must leave the window.
    return failures[limit - 1] + THROTTLE_WINDOW


def sign_in_throttle(
    *, session: Session, email: str, ip_address: str, now: datetime | None = None
) -> Throttle:
    """Refuse sign-in after too many recent failures for this account or from this IP."""
    now = now or utcnow()
    since = now - THROTTLE_WINDOW
    recent_failures = (
        select(LoginAttempt.attempted_at)
        .where(col(LoginAttempt.succeeded).is_(False), LoginAttempt.attempted_at > since)
        .order_by(col(LoginAttempt.attempted_at).desc())
    )
    by_account = session.exec(
        recent_failures.where(LoginAttempt.email == normalise_email(email)).limit(MAX_FAILURES_PER_ACCOUNT)
    ).all()
    by_ip = session.exec(
        recent_failures.where(LoginAttempt.ip_address == ip_address).limit(MAX_FAILURES_PER_IP)
    ).all()
    unlock_times = [
        t
        for t in (
            _unlock_time(by_account, MAX_FAILURES_PER_ACCOUNT),
            _unlock_time(by_ip, MAX_FAILURES_PER_IP),
        )
        if t is not None
    ]
    if not unlock_times:
        return Throttle(locked=False)
    return Throttle(locked=True, retry_after=max(unlock_times) - now)


def authenticate(*, session: Session, email: str, password: str, ip_address: str) -> AdminUser | None:
    """Check credentials and record the attempt; the caller checks the throttle first and commits."""
    admin = get_admin_by_email(session=session, email=email)
    password_ok = check_password_hash(admin.password_hash if admin else _DUMMY_HASH, password)
    succeeded = bool(admin and admin.is_active and password_ok)
    session.add(LoginAttempt(email=normalise_email(email), ip_address=ip_address, succeeded=succeeded))
    if not succeeded or admin is None:
        return None
    # A successful sign-in clears the account's failures, so an admin who finally gets it right
    # is not locked out by their own typos next time.
    session.exec(
        delete(LoginAttempt).where(
            col(LoginAttempt.email) == admin.email, col(LoginAttempt.succeeded).is_(False)
        )
    )
    admin.last_login_at = utcnow()
    session.add(admin)
    return admin


def end_all_sessions(*, session: Session, admin_id: int) -> None:
    """Invalidate every session of this admin (all browsers, and any copied cookie); caller commits."""
    admin = session.get(AdminUser, admin_id)
    if admin is not None:
        admin.session_epoch += 1
        session.add(admin)


def serialise_sign_ins(*, session: Session, email: str) -> None:
    """On PostgreSQL, make concurrent sign-ins for one account wait for each other until commit, so
    the failure count can't be raced past (SQLite's BEGIN IMMEDIATE already serialises them)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": "signin:" + normalise_email(email)}
        )


def prune_login_attempts(*, session: Session, older_than: timedelta = timedelta(days=1)) -> None:
    """Forget attempts that can no longer affect throttling."""
    session.exec(delete(LoginAttempt).where(col(LoginAttempt.attempted_at) < utcnow() - older_than))


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


def find_usable_invite(*, session: Session, token: str) -> AdminInvite | None:
    """The pending invitation behind a link's token, or None if unknown, used, revoked or expired."""
    invite = session.exec(select(AdminInvite).where(AdminInvite.token_hash == _hash_token(token))).first()
    if invite is None or invite.accepted_at or invite.revoked_at or invite.expires_at <= utcnow():
        return None
    return invite


def accept_invite(*, session: Session, invite: AdminInvite, password: str) -> AdminUser:
    """Turn an invitation into an admin account; the caller commits."""
    admin = create_admin(session=session, email=invite.email, password=password)
    invite.accepted_at = utcnow()
    session.add(invite)
    return admin


def revoke_invite(*, session: Session, invite_id: int) -> AdminInvite | None:
    """Revoke a pending invitation; returns it, or None when there is nothing to revoke."""
    invite = session.get(AdminInvite, invite_id)
    if invite is None or invite.accepted_at or invite.revoked_at:
        return None
    invite.revoked_at = utcnow()
    session.add(invite)
    return invite
