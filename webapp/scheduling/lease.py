"""This process's hold on a lease: take or renew it in short transactions, know locally until when.

A process holds the lease from a successful claim until `ttl` later by its own monotonic clock,
measured from *before* the claim, so its view always ends no later than the database's. It never
keeps a transaction open between claims; the work done while holding the lease runs outside them.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from webapp.extensions import db
from webapp.scheduling import store

log = logging.getLogger(__name__)

# The lease whose holder runs the background jobs (jobs/scheduler.py).
SCHEDULER_LEASE = "scheduler"


def new_owner_id() -> str:
    """A holder name unique to this process and start: `host:pid:random`."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class LeaderLease:
    """One named lease as seen by one process. Methods need an app context (they use `db`)."""

    def __init__(self, *, name: str, ttl: timedelta, owner: str | None = None) -> None:
        self.name = name
        self.ttl = ttl
        self.owner = owner or new_owner_id()
        self._held_until = 0.0  # time.monotonic() value; 0 = not held
        self._lock = threading.Lock()
        self._failing = False

    def held(self) -> bool:
        """Whether this process holds the lease right now, by its last successful claim (no query)."""
        return time.monotonic() < self._held_until

    def hold(self) -> bool:
        """Take the lease if it is free, or renew it if it is ours: True if we hold it now.

        Holders of someone else's live lease only read (on SQLite a read takes no write lock); a
        database error answers False, but keeps the local view: the lease is still ours in the
        database until it expires.
        """
        with self._lock:
            started = time.monotonic()
            try:
                held = self._claim()
            except SQLAlchemyError as error:
                if not self._failing:
                    log.warning("Could not check the %s lease: %s", self.name, _reason(error))
                self._failing = True
                return False
            if self._failing:
                log.info("The %s lease can be checked again.", self.name)
                self._failing = False
            was_held = self.held()
            self._held_until = started + self.ttl.total_seconds() if held else 0.0
            if held and not was_held:
                log.info("This process (%s) now holds the %s lease.", self.owner, self.name)
            elif was_held and not held:
                log.warning("This process (%s) lost the %s lease.", self.owner, self.name)
            return held

    def release(self) -> None:
        """Give the lease up now (clean shutdown), so another process takes it at its next try."""
        with self._lock:
            if not self._held_until:
                return  # never held, or already known lost: nothing to give up
            self._held_until = 0.0
            try:
                with db.session_scope() as session:
                    now = store.database_now(session=session)
                    released = store.release_lease(session=session, name=self.name, owner=self.owner, now=now)
            except SQLAlchemyError as error:
                log.warning(
                    "Could not release the %s lease (it expires by itself): %s", self.name, _reason(error)
                )
                return
            if released:
                log.info("This process (%s) released the %s lease.", self.owner, self.name)

    def _claim(self) -> bool:
        with db.session_scope(writer=False) as session:
            now = store.database_now(session=session)
            current = store.get_lease(session=session, name=self.name)
            if current is not None and current.owner != self.owner and current.expires_at > now:
                return False
        with db.session_scope(writer=True) as session:
            now = store.database_now(session=session)
            return store.claim_lease(session=session, name=self.name, owner=self.owner, now=now, ttl=self.ttl)


def _reason(error: SQLAlchemyError) -> str:
    # The driver's first line ("no such table: ..."), without the SQL statement and parameters.
    detail = getattr(error, "orig", None) or error
    return f"{type(detail).__name__}: {(str(detail).strip().splitlines() or [''])[0]}"
