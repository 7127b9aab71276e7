"""Admin accounts: creation, passwords and sign-in throttling (invitations: `invites.py`)."""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlmodel import Session, col, delete, func, select
from sqlmodel.sql.expression import SelectOfScalar
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.accounts.models import AdminUser, LoginAttempt
from webapp.audit.models import AuditEvent
from webapp.audit.store import record_event
from webapp.db import utcnow

MIN_PASSWORD_LENGTH = 12
# Longer passwords are refused rather than hashed: scrypt of megabytes is a cheap way to burn CPU.
MAX_PASSWORD_LENGTH = 1024
EMAIL_MAX_LENGTH = 254
IP_ADDRESS_MAX_LENGTH = 64
THROTTLE_WINDOW = timedelta(minutes=15)
# Sign-in throttling (per window): wrong passwords for one account from one address lock only that
# address out of that account; the per-account ceiling is high enough that only a distributed attack
# reaches it; the per-address limit stops one address guessing across many accounts.
MAX_FAILURES_PER_ACCOUNT_AND_IP = 5
MAX_FAILURES_PER_ACCOUNT = 100
MAX_FAILURES_PER_IP = 20
SIGNIN_PAUSED_ACTION = "auth.signin_paused"
ACCOUNT_LOCKED_ACTION = "auth.account_locked"
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
    if len(normalised) > EMAIL_MAX_LENGTH:
        raise AccountError(f"An email address has at most {EMAIL_MAX_LENGTH} characters.")
    if not EMAIL_PATTERN.match(normalised) or not normalised.isprintable():
        raise AccountError(f"“{email.strip()}” is not a valid email address.")
    return normalised


def password_problems(password: str, *, email: str = "") -> list[str]:
    """Every reason `password` is too weak, in words an admin can act on; empty when it is fine."""
    problems: list[str] = []
    if len(password) > MAX_PASSWORD_LENGTH:
        return [f"Use at most {MAX_PASSWORD_LENGTH} characters (this one has {len(password)})."]
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


@dataclass(frozen=True)
class NewAdmin:
    """A checked email and a hashed password, ready to become an account (see `prepare_admin`)."""

    email: str
    password_hash: str


def prepare_admin(*, email: str, password: str) -> NewAdmin:
    """Check the email and the password's strength, then hash the password (slow: ~150 ms).

    Needs no session, so the hashing happens before any write transaction starts.
    """
    normalised = validate_email(email)
    problems = password_problems(password, email=normalised)
    if problems:
        raise AccountError(" ".join(problems))
    return NewAdmin(email=normalised, password_hash=hash_password(password))


def add_admin(*, session: Session, new: NewAdmin) -> AdminUser:
    """Store a prepared admin (fast); refuses an email that is already an admin. The caller commits."""
    if get_admin_by_email(session=session, email=new.email):
        raise AccountError(f"An admin with the email {new.email} already exists.")
    admin = AdminUser(email=new.email, password_hash=new.password_hash)
    session.add(admin)
    session.flush()
    return admin


def add_first_admin(*, session: Session, new: NewAdmin) -> AdminUser:
    """Store the instance's first admin; refused once any admin exists. The caller commits."""
    if admin_count(session=session) > 0:
        raise AccountError("This instance already has an admin. Sign in, or ask an admin to invite you.")
    return add_admin(session=session, new=new)


def create_admin(*, session: Session, email: str, password: str) -> AdminUser:
    """Check, hash and store an admin in one go (CLI, tests); the caller commits."""
    return add_admin(session=session, new=prepare_admin(email=email, password=password))


@dataclass(frozen=True)
class Throttle:
    """Whether sign-in is currently refused, and for how long."""

    locked: bool
    retry_after: timedelta = timedelta(0)

    @property
    def minutes(self) -> int:
        """Whole minutes to wait, rounded up, at least 1 while locked."""
        return max(1, math.ceil(self.retry_after.total_seconds() / 60))


def attempt_key(email: str) -> str:
    """The account a sign-in attempt counts against: the normalised email, or "" (no account can have
    it) for input no admin's email could be (too long, control characters), which still counts per IP."""
    normalised = normalise_email(email)
    if len(normalised) > EMAIL_MAX_LENGTH or not normalised.isprintable():
        return ""
    return normalised


def _unlock_time(failures: Sequence[datetime], limit: int) -> datetime | None:
    """When enough failures have aged out of the window for one more attempt, or None if not locked."""
    if len(failures) < limit:
        return None
    # Newest first: the attempt at index limit-1 is the one that must leave the window.
    return failures[limit - 1] + THROTTLE_WINDOW


def _recent_failures(since: datetime) -> SelectOfScalar[datetime]:
    return (
        select(LoginAttempt.attempted_at)
        .where(col(LoginAttempt.succeeded).is_(False), LoginAttempt.attempted_at > since)
        .order_by(col(LoginAttempt.attempted_at).desc())
    )


def sign_in_throttle(
    *, session: Session, email: str, ip_address: str, now: datetime | None = None
) -> Throttle:
    """Refuse sign-in after too many recent failures for this account from this IP, for this account
    from anywhere (a generous ceiling), or from this IP for any account.

    Failures from one address never lock the account for the others, so an outsider can't lock the
    real admin out with a few wrong passwords.
    """
    now = now or utcnow()
    recent = _recent_failures(now - THROTTLE_WINDOW)
    account, ip_address = attempt_key(email), ip_address[:IP_ADDRESS_MAX_LENGTH]
    limits = (
        (
            recent.where(LoginAttempt.email == account, LoginAttempt.ip_address == ip_address),
            MAX_FAILURES_PER_ACCOUNT_AND_IP,
        ),
        (recent.where(LoginAttempt.email == account), MAX_FAILURES_PER_ACCOUNT),
        (recent.where(LoginAttempt.ip_address == ip_address), MAX_FAILURES_PER_IP),
    )
    unlock_times = [
        unlock
        for statement, limit in limits
        if (unlock := _unlock_time(session.exec(statement.limit(limit)).all(), limit)) is not None
    ]
    if not unlock_times:
        return Throttle(locked=False)
    return Throttle(locked=True, retry_after=max(unlock_times) - now)


@dataclass(frozen=True)
class SignInCheck:
    """What the read-only first step of a sign-in found: the throttle and the admin, if any."""

    throttle: Throttle
    admin: AdminUser | None


@dataclass(frozen=True)
class SignInOutcome:
    """How a sign-in ended: the admin signed in, or None; `throttle.locked` if it was refused unchecked."""

    admin: AdminUser | None
    throttle: Throttle = Throttle(locked=False)


def check_sign_in(*, session: Session, email: str, ip_address: str) -> SignInCheck:
    """Step 1 of signing in, read-only: is it throttled, and whose password to check."""
    key = attempt_key(email)
    admin = get_admin_by_email(session=session, email=key) if key else None
    return SignInCheck(sign_in_throttle(session=session, email=email, ip_address=ip_address), admin)


def password_matches(admin: AdminUser | None, password: str) -> bool:
    """Step 2 of signing in: the slow (~150 ms) password check. Call it with no transaction open.

    An unknown email is checked against a dummy hash, so it costs as much as a wrong password.
    """
    matches = check_password_hash(admin.password_hash if admin else _DUMMY_HASH, password)
    return bool(admin and admin.is_active and matches)


def record_sign_in(
    *, session: Session, email: str, ip_address: str, admin: AdminUser | None, password_ok: bool
) -> SignInOutcome:
    """Step 3 of signing in, short and writing: record the attempt; the caller commits.

    The throttle is checked again here, inside the write transaction, so attempts racing each other
    can't get past the limits; a refused attempt is not recorded (and says nothing of the password).
    """
    serialise_sign_ins(session=session, email=email)
    throttle = sign_in_throttle(session=session, email=email, ip_address=ip_address)
    if throttle.locked:
        return SignInOutcome(admin=None, throttle=throttle)
    key, ip_address = attempt_key(email), ip_address[:IP_ADDRESS_MAX_LENGTH]
    current = session.get(AdminUser, admin.id) if admin is not None else None
    # The password was checked against what step 1 read: it must still be the account's password.
    unchanged = admin is not None and current is not None and current.password_hash == admin.password_hash
    succeeded = bool(password_ok and unchanged and current and current.is_active)
    session.add(LoginAttempt(email=key, ip_address=ip_address, succeeded=succeeded))
    if not succeeded or current is None:
        if current is not None:
            _report_attack(session=session, admin=current, ip_address=ip_address)
        return SignInOutcome(admin=None)
    # Signing in clears this address's failures for the account, so an admin who finally gets it right
    # is not locked out by their own typos; failures from other addresses still count.
    session.exec(
        delete(LoginAttempt).where(
            col(LoginAttempt.email) == key,
            col(LoginAttempt.ip_address) == ip_address,
            col(LoginAttempt.succeeded).is_(False),
        )
    )
    current.last_login_at = utcnow()
    session.add(current)
    return SignInOutcome(admin=current)


def _report_attack(*, session: Session, admin: AdminUser, ip_address: str) -> None:
    """Put it in the audit trail, once per throttle window, when failures start locking an admin's
    sign-in: for one address (`auth.signin_paused`) or, past the ceiling, for everyone
    (`auth.account_locked`)."""
    since = utcnow() - THROTTLE_WINDOW
    failures = session.exec(
        select(LoginAttempt.ip_address).where(
            LoginAttempt.email == admin.email,
            col(LoginAttempt.succeeded).is_(False),
            LoginAttempt.attempted_at > since,
        )
    ).all()
    from_here = sum(1 for address in failures if address == ip_address)
    addresses = len(set(failures))
    if len(failures) >= MAX_FAILURES_PER_ACCOUNT:
        action = ACCOUNT_LOCKED_ACTION
        summary = (
            f"{len(failures)} failed sign-ins to {admin.email} in {_window_text()} from {addresses} "
            f"address(es): sign-in to this account is paused for everyone for up to {_window_text()}."
        )
    elif from_here >= MAX_FAILURES_PER_ACCOUNT_AND_IP:
        action = SIGNIN_PAUSED_ACTION
        summary = (
            f"{len(failures)} failed sign-ins to {admin.email} in {_window_text()} from {addresses} "
            f"address(es): sign-in from {ip_address} is paused for {_window_text()}."
        )
    else:
        return
    reported = session.exec(
        select(AuditEvent.id).where(
            AuditEvent.action == action, AuditEvent.actor_id == admin.id, AuditEvent.occurred_at > since
        )
    ).first()
    if reported is None:
        record_event(session=session, action=action, actor=admin, summary=summary, ip_address=ip_address)


def _window_text() -> str:
    return f"{int(THROTTLE_WINDOW.total_seconds() // 60)} minutes"


def end_all_sessions(*, session: Session, admin_id: int) -> None:
    """Invalidate every session of this admin (all browsers, and any copied cookie); caller commits."""
    admin = session.get(AdminUser, admin_id)
    if admin is not None:
        admin.session_epoch += 1
        session.add(admin)


def serialise_sign_ins(*, session: Session, email: str) -> None:
    """On PostgreSQL, make concurrent sign-ins for one account wait for each other until commit, so
    the failure count can't be raced past (SQLite's BEGIN IMMEDIATE already serialises them).

    Only ever called in the short writing step, never across the password check.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": "signin:" + attempt_key(email)}
        )


def prune_login_attempts(*, session: Session, older_than: timedelta = timedelta(days=1)) -> None:
    """Forget attempts that can no longer affect throttling."""
    session.exec(delete(LoginAttempt).where(col(LoginAttempt.attempted_at) < utcnow() - older_than))
