"""Refused event-hook deliveries, counted and logged in batches.

Anyone on the internet can post to `/hooks/okta`. Writing and logging every refused delivery would
let them turn each request into a database commit and a WARNING line (2,000 forged posts made
4,176 log lines). So each process writes and logs refusals at most once per window
(`EVENT_HOOK_REFUSED_LOG_SECONDS`, a minute by default): the first refusal after a quiet window is
written and logged at once; the ones after it are tallied in memory and written, with their count,
in one UPDATE and one log line when the window ends. The Sync page's count is therefore at most a
window behind (and says so); a process that stops mid-window loses only its tally of that window.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from flask import Flask

from webapp.db import utcnow
from webapp.extensions import db
from webapp.sync import hooks

log = logging.getLogger(__name__)

# At most one write and one log line of refused deliveries per process this often.
WINDOW_SECONDS = 60.0
EXTENSION_KEY = "signet_hook_refusals"
_create_lock = threading.Lock()


@dataclass
class _Tally:
    """Refusals not yet written: how many, and what the last one was (for the log line)."""

    count: int = 0
    last_at: datetime | None = None
    last_from: str = ""
    last_reason: str = ""
    hook_created_at: datetime | None = None


class RefusedDeliveries:
    """One app's (so one process's) refusals: written and logged at most once per window."""

    def __init__(self, app: Flask, window: float) -> None:
        self._app = app
        self.window = window
        self._lock = threading.Lock()
        self._tally = _Tally()
        self._next_write = 0.0  # time.monotonic() after which a refusal is written at once
        self._flusher: threading.Thread | None = None

    def refused(self, *, source: str, reason: str, hook_created_at: datetime) -> int:
        """Tally one refusal; the number to write and log now (0: it waits for the window's end).

        The caller writes that number in its own transaction (`hooks.record_refused`) and logs it
        with `log_refusals`; otherwise a background thread writes it when the window ends.
        """
        with self._lock:
            self._add(source=source, reason=reason, hook_created_at=hook_created_at)
            if time.monotonic() >= self._next_write:
                return self._take().count
            if self._flusher is None or not self._flusher.is_alive():
                self._flusher = threading.Thread(
                    target=self._flush_when_due, name="signet-hook-refusals", daemon=True
                )
                self._flusher.start()
            return 0

    def flush(self) -> int:
        """Write and log what is tallied now, whatever the window (tests, shutdown): the count."""
        with self._lock:
            tally = self._take()
        self._write(tally)
        return tally.count

    def wait_written(self, timeout: float) -> bool:
        """Wait until nothing is tallied and no write is pending; False on timeout (tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                flusher, pending = self._flusher, self._tally.count
            if pending == 0 and (flusher is None or not flusher.is_alive()):
                return True
            time.sleep(0.05)
        return False

    def _add(self, *, source: str, reason: str, hook_created_at: datetime) -> None:
        tally = self._tally
        if tally.hook_created_at is not None and tally.hook_created_at != hook_created_at:
            self._tally = tally = _Tally()  # the hook was set up again: the old tally is moot
        tally.count += 1
        tally.last_at, tally.last_from, tally.last_reason = utcnow(), source, reason
        tally.hook_created_at = hook_created_at

    def _take(self) -> _Tally:
        """Hand over the tally and start a new window (caller holds the lock)."""
        tally, self._tally = self._tally, _Tally()
        self._next_write = time.monotonic() + self.window
        return tally

    def _flush_when_due(self) -> None:
        while True:
            with self._lock:
                wait = self._next_write - time.monotonic()
            if wait > 0:
                time.sleep(wait)
                continue
            with self._lock:
                tally = self._take() if self._tally.count else None
                if tally is None:
                    self._flusher = None
                    return
            self._write(tally)

    def _write(self, tally: _Tally) -> None:
        if not tally.count or tally.last_at is None:
            return
        try:
            with self._app.app_context(), db.session_scope() as session:
                hooks.record_refused(
                    session=session, count=tally.count, at=tally.last_at, created_at=tally.hook_created_at
                )
        except Exception:
            log.exception("Could not count %d refused Okta event hook deliveries.", tally.count)
        log_refusals(tally.count, source=tally.last_from, reason=tally.last_reason, window=self.window)


def log_refusals(count: int, *, source: str, reason: str, window: float) -> None:
    """The one WARNING line for `count` refusals (the last from `source` for `reason`)."""
    log.warning(
        "Refused an Okta event hook delivery from %s: %s (%d refused since the last such line; "
        "at most one line every %g seconds).",
        source,
        reason,
        count,
        window,
    )


def refusals_for(app: Flask) -> RefusedDeliveries:
    """The app's tally of refused deliveries (created on first use with the configured window)."""
    found = app.extensions.get(EXTENSION_KEY)
    if found is None:
        with _create_lock:
            found = app.extensions.get(EXTENSION_KEY)
            if found is None:
                window = float(app.config.get("EVENT_HOOK_REFUSED_LOG_SECONDS", WINDOW_SECONDS))
                found = app.extensions[EXTENSION_KEY] = RefusedDeliveries(app, window)
    assert isinstance(found, RefusedDeliveries)
    return found


def window_seconds(app: Flask) -> float:
    """How often at most refused deliveries are written and logged (the Sync page says so)."""
    return float(app.config.get("EVENT_HOOK_REFUSED_LOG_SECONDS", WINDOW_SECONDS))
