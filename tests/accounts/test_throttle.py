"""Sign-in throttling per account and address, attack reports, and no write lock across the hash."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import make_url, text
from sqlmodel import col, select

from tests import factories
from tests.conftest import AuthActions
from tests.helpers import page_text
from webapp.accounts import store as accounts
from webapp.accounts.models import LoginAttempt
from webapp.audit.models import AuditEvent
from webapp.db import utcnow
from webapp.extensions import db

ATTACKER = "203.0.113.9"
REAL_ADMIN = "198.51.100.7"
CORRECT = {"email": factories.ADMIN_EMAIL, "password": factories.ADMIN_PASSWORD}
WRONG = {"email": factories.ADMIN_EMAIL, "password": "Wrong-Password-123"}


def _login(client: FlaskClient, data: dict[str, str], ip: str) -> Any:
    return client.post("/login", data=data, environ_base={"REMOTE_ADDR": ip})


def _add_failures(app: Flask, count: int, *, email: str = factories.ADMIN_EMAIL, ips: list[str]) -> None:
    with app.app_context(), db.session_scope() as session:
        for number in range(count):
            session.add(LoginAttempt(email=email, ip_address=ips[number % len(ips)]))


def _events(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_failures_from_one_address_lock_only_that_address(client: FlaskClient, auth: AuthActions) -> None:
    """Five wrong passwords from one address lock that address out of the account, even with the right
    password and a clear wait; the real admin signing in from elsewhere is not locked out."""
    auth.create_admin()
    for _ in range(accounts.MAX_FAILURES_PER_ACCOUNT_AND_IP):
        assert _login(client, WRONG, ATTACKER).status_code == 401
    refused = _login(client, CORRECT, ATTACKER)
    assert refused.status_code == 429
    assert "Too many failed sign-ins. Try again in 15 minutes." in page_text(refused)
    assert int(refused.headers["Retry-After"]) > 0
    assert _login(client, CORRECT, REAL_ADMIN).status_code == 303


def test_an_attack_is_reported_once_per_window(client: FlaskClient, auth: AuthActions, app: Flask) -> None:
    """When failures start locking an address out of an admin's account the audit trail says so, once
    per window, however many attempts and addresses follow."""
    auth.create_admin()
    limit = accounts.MAX_FAILURES_PER_ACCOUNT_AND_IP
    for _ in range(limit - 1):
        _login(client, WRONG, ATTACKER)
    assert _events(app, accounts.SIGNIN_PAUSED_ACTION) == []  # a few typos are no attack
    _login(client, WRONG, ATTACKER)
    for _ in range(3):
        assert _login(client, WRONG, ATTACKER).status_code == 429
    for _ in range(limit):
        _login(client, WRONG, "192.0.2.1")
    events = _events(app, accounts.SIGNIN_PAUSED_ACTION)
    assert len(events) == 1
    assert events[0].actor_email == factories.ADMIN_EMAIL
    assert events[0].ip_address == ATTACKER
    assert events[0].summary == (
        f"{limit} failed sign-ins to {factories.ADMIN_EMAIL} in 15 minutes from 1 address(es): "
        f"sign-in from {ATTACKER} is paused for 15 minutes."
    )
    assert len(_events(app, "auth.login_failed")) == 2 * limit  # refused attempts are not recorded


def test_the_account_ceiling_locks_everyone_and_is_reported(
    client: FlaskClient, auth: AuthActions, app: Flask
) -> None:
    """A distributed attack that reaches the per-account ceiling locks the account for every address
    until failures age out, and the trail records it once."""
    auth.create_admin()
    _add_failures(
        app, accounts.MAX_FAILURES_PER_ACCOUNT - 1, ips=[f"10.0.{n // 250}.{n % 250}" for n in range(250)]
    )
    assert _login(client, WRONG, ATTACKER).status_code == 401
    assert _login(client, CORRECT, REAL_ADMIN).status_code == 429
    locked = _events(app, accounts.ACCOUNT_LOCKED_ACTION)
    assert len(locked) == 1
    assert "paused for everyone" in locked[0].summary


def test_signing_in_clears_only_this_addresses_failures(client: FlaskClient, auth: AuthActions) -> None:
    """The admin's own sign-in forgets their typos, but not an attacker's failures from elsewhere."""
    auth.create_admin()
    limit = accounts.MAX_FAILURES_PER_ACCOUNT_AND_IP
    for _ in range(limit - 1):
        _login(client, WRONG, ATTACKER)
        _login(client, WRONG, REAL_ADMIN)
    assert _login(client, CORRECT, REAL_ADMIN).status_code == 303
    client.post("/logout")
    assert _login(client, WRONG, ATTACKER).status_code == 401
    assert _login(client, CORRECT, ATTACKER).status_code == 429
    for _ in range(limit - 1):
        assert _login(client, WRONG, REAL_ADMIN).status_code == 401


def test_lock_lifts_after_the_window(app: Flask, auth: AuthActions) -> None:
    """Failures older than the throttle window no longer count."""
    auth.create_admin()
    with app.app_context(), db.session_scope() as session:
        old = utcnow() - accounts.THROTTLE_WINDOW - timedelta(seconds=1)
        for _ in range(accounts.MAX_FAILURES_PER_ACCOUNT_AND_IP):
            session.add(LoginAttempt(email=factories.ADMIN_EMAIL, ip_address="127.0.0.1", attempted_at=old))
    assert auth.login().status_code == 303


def test_failures_from_one_ip_lock_that_ip(app: Flask, client: FlaskClient, auth: AuthActions) -> None:
    """Many failures from one IP across different accounts lock that IP out."""
    auth.create_admin()
    _add_failures(app, accounts.MAX_FAILURES_PER_IP, email="guess@acme.example", ips=["127.0.0.1"])
    with app.app_context(), db.session_scope() as session:
        for attempt in session.exec(select(LoginAttempt)).all():
            attempt.email = f"guess{attempt.id}@acme.example"
    response = auth.login()
    assert response.status_code == 429
    assert "Try again in" in page_text(response)


def test_an_overlong_email_still_counts_for_its_address(
    client: FlaskClient, auth: AuthActions, app: Flask
) -> None:
    """An email too long to be anyone's is refused like a wrong password (no 500), recorded without the
    email, and counts towards the address's limit."""
    auth.create_admin()
    _add_failures(app, accounts.MAX_FAILURES_PER_IP - 1, email="guess@acme.example", ips=[ATTACKER])
    overlong = {"email": "a" * 10_000 + "@acme.example", "password": "x"}
    assert _login(client, overlong, ATTACKER).status_code == 401
    assert _login(client, overlong, ATTACKER).status_code == 429
    with app.app_context():
        emails = db.session.exec(select(LoginAttempt.email).order_by(col(LoginAttempt.id).desc())).first()
        assert emails == ""


def test_throttle_minutes_round_up() -> None:
    """The wait shown is rounded up to whole minutes and never shows zero."""
    assert accounts.Throttle(locked=True, retry_after=timedelta(seconds=61)).minutes == 2
    assert accounts.Throttle(locked=True, retry_after=timedelta(seconds=5)).minutes == 1


def _another_writer_gets_in(app: Flask) -> bool:
    """Whether another connection could start writing right now, without waiting (PITFALLS 7.1)."""
    url = make_url(app.config["DATABASE_URL"])
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(str(url.database), timeout=0, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            connection.close()
    # PostgreSQL: concurrent sign-ins for one account queue on an advisory lock; it must be free too.
    with app.app_context(), db.engine.connect() as connection:
        key = "signin:" + factories.ADMIN_EMAIL
        free = connection.execute(text("SELECT pg_try_advisory_xact_lock(hashtext(:key))"), {"key": key})
        return bool(free.scalar_one())


def test_no_write_lock_is_held_while_the_password_is_checked(
    client: FlaskClient, auth: AuthActions, app: Flask, monkeypatch: Any
) -> None:
    """During the ~150 ms password check of a sign-in, other requests can still write: the check runs
    between a read-only step and a short write, never inside a write transaction."""
    auth.create_admin()
    observed: list[bool] = []
    real_check = accounts.check_password_hash

    def check_and_observe(password_hash: str, password: str) -> bool:
        observed.append(_another_writer_gets_in(app))
        return real_check(password_hash, password)

    monkeypatch.setattr(accounts, "check_password_hash", check_and_observe)
    assert auth.login(password="Wrong-Password-123").status_code == 401
    assert auth.login().status_code == 303
    assert observed == [True, True]
