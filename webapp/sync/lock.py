"""Only one sync of a source at a time, across threads, processes and hosts: a lease on its
`sync_state` row.

The holder (`host:pid:random`) takes it with one conditional UPDATE and renews it in every page's
transaction and before every rate-limit wait. A holder that dies lets go when the lease expires,
or at once when its process on this host is gone (`kill -9`), so the next run never waits for a
corpse. Times come from the database's clock (PostgreSQL), so hosts whose clocks disagree agree
on when a lease ends.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from datetime import timedelta

from sqlmodel import Session

from webapp import processes
from webapp.extensions import db
from webapp.processes import HOSTNAME as HOSTNAME  # re-exported: tests name lock owners with it
from webapp.scheduling.store import database_now
from webapp.sync import store

log = logging.getLogger(__name__)

DEFAULT_LOCK_TTL = timedelta(minutes=5)
POLL_SECONDS = 0.5


def dead_owner(owner: str | None) -> bool:
    """Whether `owner` names a process of this host that no longer exists."""
    if not owner:
        return False
    pid = processes.local_pid(owner)
    return pid is not None and pid != os.getpid() and not processes.pid_is_alive(pid)


class SyncLock:
    """This process's claim on the sync lock of one source. Methods need an app context."""

    def __init__(self, *, source: str, ttl: timedelta = DEFAULT_LOCK_TTL) -> None:
        self.source = source
        self.ttl = ttl
        self.owner = f"{HOSTNAME}:{os.getpid()}:{secrets.token_hex(4)}"
        self.held = False

    def acquire(self, *, wait_seconds: float = 0.0) -> bool:
        """Take the lock, waiting up to `wait_seconds` for another holder to finish."""
        deadline = time.monotonic() + wait_seconds
        while True:
            with db.session_scope(writer=True) as session:
                current = store.get_state(session=session, source=self.source).lock_owner
                stale = current if dead_owner(current) else None
                self.held = self._claim(session=session, stale_owner=stale)
            if stale and self.held:
                log.warning("Took over the %s sync lock from %s, whose process is gone.", self.source, stale)
            if self.held or time.monotonic() >= deadline:
                return self.held
            time.sleep(POLL_SECONDS)

    def renew(self, *, session: Session) -> bool:
        """Extend the lease in the caller's transaction; False if another process took it over."""
        self.held = self._claim(session=session)
        return self.held

    def _claim(self, *, session: Session, stale_owner: str | None = None) -> bool:
        """Take or extend the lease (or take it over from `stale_owner`) at the database's time."""
        return store.claim_lock(
            session=session,
            source=self.source,
            owner=self.owner,
            now=database_now(session=session),
            ttl=self.ttl,
            stale_owner=stale_owner,
        )

    def release(self) -> None:
        """Let go (a no-op when not held)."""
        if not self.held:
            return
        with db.session_scope(writer=True) as session:
            store.release_lock(session=session, source=self.source, owner=self.owner)
        self.held = False
