"""The Okta sync jobs: incremental every few minutes, full hourly (nightly above 10,000 users, or as
the admin chose), and full right after a connect.

Plain functions called as `function(app)`, knowing nothing of APScheduler (`jobs.registry` names
them). Each pushes an app context, builds the source from the stored connection, runs one sync
(`webapp.sync.service.run_sync`, which keeps one sync at a time across processes with a database
lease) and logs the outcome. Nothing happens while Okta is not connected or needs reconnecting.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from webapp.extensions import db
from webapp.sources.okta import store as okta_store
from webapp.sources.okta.directory import SOURCE_KEY as OKTA
from webapp.sync import full_interval, store
from webapp.sync.models import SyncKind, SyncTrigger
from webapp.sync.service import SyncOutcome, run_sync

log = logging.getLogger(__name__)

# A full sync asked for while another sync runs waits for it this long (an incremental sync is
# one request; a full one may take minutes under a 50-per-minute rate limit).
FULL_SYNC_LOCK_WAIT_SECONDS = 15 * 60.0
_background_lock = threading.Lock()
_background: threading.Thread | None = None


def _should_stop(app: Flask) -> bool:
    from jobs.scheduler import should_stop  # the scheduler imports the registry, not this module

    return should_stop(app)


def _log(outcome: SyncOutcome, label: str) -> None:
    run = outcome.run
    if run is None:
        log.debug("%s sync skipped: %s", label, outcome.skipped)
    elif run.error:
        log.warning("%s sync (run %s) failed: %s", label, run.id, run.error)
    else:
        log.info(
            "%s sync (run %s) %s in %.1f s: %s pages, %s requests, %s users; created %s, updated %s, "
            "deactivated %s, reactivated %s, removed %s, held %s.",
            label,
            run.id,
            run.status,
            run.duration_seconds or 0.0,
            run.pages,
            run.api_requests,
            run.users_processed,
            run.created,
            run.updated,
            run.deactivated,
            run.reactivated,
            run.removed,
            run.held,
        )


def run_incremental_sync(app: Flask) -> None:
    """Users changed since the watermark (one request when nothing changed); a full sync instead if
    none completed yet or one was requested. Skipped while another sync runs."""
    with app.app_context():
        outcome = run_sync(
            app,
            kind=SyncKind.INCREMENTAL,
            trigger=SyncTrigger.SCHEDULE,
            should_stop=lambda: _should_stop(app),
        )
        _log(outcome, "Incremental")


def run_full_sync(app: Flask) -> None:
    """Every user of every status, the schema, and users Okta no longer returns marked removed."""
    with app.app_context():
        outcome = run_sync(
            app,
            kind=SyncKind.FULL,
            trigger=SyncTrigger.SCHEDULE,
            wait_for_lock=FULL_SYNC_LOCK_WAIT_SECONDS,
            should_stop=lambda: _should_stop(app),
        )
        _log(outcome, "Full")


def start_full_sync_in_background(app: Flask, *, trigger: SyncTrigger = SyncTrigger.CONNECT) -> bool:
    """Start a full sync in a background thread of this process (after a successful connect, or
    "Full sync" on the Sync page) and return at once; False if this process already runs one.

    Across processes the sync's database lease keeps one sync at a time: the thread waits for a
    running sync to finish. The request (Flask's `request` is not used) must have committed first.
    A full sync is also marked as requested, so that if this process dies the next scheduled sync
    runs a full one.
    """
    return start_sync_in_background(app, kind=SyncKind.FULL, trigger=trigger)


def start_sync_in_background(
    app: Flask, *, kind: SyncKind, trigger: SyncTrigger = SyncTrigger.MANUAL
) -> bool:
    """Start a sync of `kind` in a background thread of this process and return at once; False if
    this process already runs one. The Sync page's "Sync now" is incremental (a full one when none
    completed yet); a full sync is as `start_full_sync_in_background` says."""
    global _background
    with _background_lock:
        if _background is not None and _background.is_alive():
            return False
        if kind == SyncKind.FULL:
            with app.app_context(), db.session_scope(writer=True) as session:
                store.request_full_sync(session=session, source=OKTA)
        _background = threading.Thread(
            target=_sync_thread, args=(app, kind, trigger), name=f"signet-{kind}-sync", daemon=True
        )
        _background.start()
        return True


def _sync_thread(app: Flask, kind: SyncKind, trigger: SyncTrigger) -> None:
    # A full sync waits for a running one (it must not be skipped); an incremental one is skipped.
    wait = FULL_SYNC_LOCK_WAIT_SECONDS if kind == SyncKind.FULL else 0.0
    try:
        with app.app_context():
            _log(run_sync(app, kind=kind, trigger=trigger, wait_for_lock=wait), kind.capitalize())
    except Exception:
        log.exception("The background %s sync failed.", kind)


def background_sync_thread() -> threading.Thread | None:
    """The background sync thread of this process, if one was started (tests join it)."""
    return _background


def full_sync_interval_hours(app: Flask) -> int:
    """Hours between full syncs (`jobs.registry.full_sync_interval` reads it): the admin's choice,
    else hourly up to 10,000 users and nightly above (by the last full sync's count)."""
    with app.app_context(), db.session_scope(writer=False) as session:
        chosen = store.get_state(session=session, source=OKTA).full_sync_interval_hours
        connection = okta_store.get_connection(session=session)
        users = connection.user_count if connection is not None else None
    return full_interval.effective_hours(chosen, users)


def sync_interval_minutes(app: Flask) -> int | None:
    """The admin's chosen minutes between incremental syncs (`jobs.registry.sync_interval` reads
    it), or None to follow SYNC_INTERVAL_MINUTES."""
    with app.app_context(), db.session_scope(writer=False) as session:
        return store.get_state(session=session, source=OKTA).poll_interval_minutes
