"""Running syncs for the app: which sources are connected, one sync at a time, settings.

`run_sync(app, ...)` is what the jobs (`jobs/sync.py`), the CLI (`flask sync`) and the Sync page
use. It builds each connected source (Okta today, from the stored connection; a no-op while Okta
is not connected or needs reconnecting), takes the source's sync lock (a database lease, so one
sync runs at a time across threads, processes and hosts), creates the run row and lets the engine
run it. Call it inside an app context, outside any request transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from webapp.db import utcnow
from webapp.extensions import db
from webapp.sources.base import DirectorySource
from webapp.sources.okta import store as okta_store
from webapp.sources.okta.api import PAGE_LIMIT
from webapp.sources.okta.directory import SOURCE_KEY as OKTA
from webapp.sources.okta.directory import OktaDirectory
from webapp.sources.okta.errors import (
    InsufficientScopeError,
    NeedsReconnectError,
    NotConnectedError,
    OktaApiError,
    OktaError,
    OktaForeignLinkError,
)
from webapp.sources.okta.http import BACKGROUND_MAX_WAIT
from webapp.sources.okta.models import ConnectionStatus
from webapp.sources.okta.problems import problem_from_check_error
from webapp.sources.okta.service import okta_services
from webapp.sync import store
from webapp.sync.engine import (
    DEFAULT_RESERVE,
    ProgressCallback,
    SyncOptions,
    execute_run,
    register_error_describer,
)
from webapp.sync.holds import DEFAULT_HOLD_FRACTION, DEFAULT_HOLD_MINIMUM
from webapp.sync.lock import SyncLock
from webapp.sync.models import ACTIVE_RUN_STATUSES, SyncKind, SyncRun, SyncTrigger
from webapp.teammates import store as teammates
from webapp.teammates.models import SourceAttribute
from webapp.teammates.signals import schema_refreshed

log = logging.getLogger(__name__)

SOURCES = (OKTA,)


@dataclass(frozen=True)
class SyncOutcome:
    """What `run_sync` did: the run (None if none started) or why it did not start."""

    run: SyncRun | None
    skipped: str | None = None

    @property
    def failed(self) -> bool:
        """Whether a run started and failed."""
        return self.run is not None and self.run.error is not None


def setting(app: Flask, name: str, default: Any) -> Any:
    """A setting: `app.config` (test overrides) first, then the settings object."""
    if name in app.config:
        return app.config[name]
    return getattr(app.extensions.get("signet_settings"), name, default)


def sync_options(app: Flask) -> SyncOptions:
    """Options from SYNC_RATE_LIMIT_RESERVE, SYNC_HOLD_FRACTION and SYNC_HOLD_MINIMUM."""
    return SyncOptions(
        reserve_fraction=float(setting(app, "SYNC_RATE_LIMIT_RESERVE", DEFAULT_RESERVE)),
        hold_fraction=float(setting(app, "SYNC_HOLD_FRACTION", DEFAULT_HOLD_FRACTION)),
        hold_minimum=int(setting(app, "SYNC_HOLD_MINIMUM", DEFAULT_HOLD_MINIMUM)),
    )


def okta_source(*, options: SyncOptions, page_size: int = PAGE_LIMIT) -> OktaDirectory | None:
    """Okta as a source, from the stored connection; None unless it is connected (a connection that
    needs reconnecting stops syncing: the page-wide banner asks the admin to reconnect)."""
    with db.session_scope(writer=False) as session:
        connection = okta_store.get_connection(session=session)
        if connection is None or connection.status != ConnectionStatus.CONNECTED:
            return None
        origin = connection.okta_origin
    # A job waits out Okta's rate-limit windows instead of giving up like a page would.
    api = okta_services.api(origin, max_wait=BACKGROUND_MAX_WAIT)
    state = okta_services.state
    # Page retries keep time like the transport (whose clock tests replace, so nothing sleeps).
    return OktaDirectory(
        origin=origin,
        api=api,
        reserve_fraction=options.reserve_fraction,
        page_size=page_size,
        sleep=lambda seconds: state.transport.clock.sleep(seconds),
        jitter=lambda: state.transport.clock.jitter(),
    )


def connected_sources(*, options: SyncOptions) -> list[DirectorySource]:
    """Every source that can be synced now (Okta today)."""
    # SYNC_PAGE_SIZE (app.config only) lets tests read many small pages; Okta's maximum otherwise.
    okta = okta_source(options=options, page_size=int(current_app.config.get("SYNC_PAGE_SIZE", PAGE_LIMIT)))
    return [okta] if okta is not None else []


def run_sync(
    app: Flask,
    *,
    kind: SyncKind = SyncKind.INCREMENTAL,
    trigger: SyncTrigger = SyncTrigger.SCHEDULE,
    wait_for_lock: float = 0.0,
    progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
    source: DirectorySource | None = None,
) -> SyncOutcome:
    """Run one sync of the connected source (or `source`), in this thread, and return its outcome.

    An incremental sync runs as a full one when the source never completed one, or when a full
    sync was requested (`store.request_full_sync`). Failures are recorded on the run and returned
    (`outcome.failed`), not raised; Ctrl-C is recorded, then raised.
    """
    options = sync_options(app)
    if source is None:
        sources = connected_sources(options=options)
        if not sources:
            return SyncOutcome(None, skipped="Okta is not connected (or needs reconnecting).")
        source = sources[0]
    lock = SyncLock(source=source.key)
    if not lock.acquire(wait_seconds=wait_for_lock):
        return SyncOutcome(None, skipped="Another sync of this source is running.")
    try:
        run_id = _start_run(source=source.key, kind=kind, trigger=trigger, lock=lock)
        try:
            run = execute_run(
                app=app,
                source=source,
                run_id=run_id,
                lock=lock,
                options=options,
                progress=progress,
                should_stop=should_stop,
            )
        except Exception:
            log.warning("Sync run %s of %s failed.", run_id, source.key, exc_info=True)
            with db.session_scope(writer=False) as session:
                failed = store.get_run(session=session, run_id=run_id)
            return SyncOutcome(failed)
        if run.kind == SyncKind.FULL and source.key == OKTA:
            _remember_user_count(run.users_processed)
        return SyncOutcome(run)
    finally:
        lock.release()


def refresh_schema(app: Flask) -> list[SourceAttribute] | None:
    """Read the connected source's attribute schema now and store it (the smart-field mapping
    offers "refresh attributes"); None when no source is connected. One API call; raises the
    source's error (e.g. `OktaError`) if it fails. Call it outside any request transaction."""
    sources = connected_sources(options=sync_options(app))
    if not sources:
        return None
    source = sources[0]
    attributes = source.read_schema()
    with db.session_scope(writer=True) as session:
        stored = teammates.save_source_attributes(session=session, source=source.key, attributes=attributes)
    schema_refreshed.send(app, source=source.key)  # after the commit (smart fields' defaults)
    return stored


def _start_run(*, source: str, kind: SyncKind, trigger: SyncTrigger, lock: SyncLock) -> int:
    """Create the run row (as the lock holder): fail runs left behind by dead processes first."""
    with db.session_scope(writer=True) as session:
        now = utcnow()
        abandoned = store.fail_abandoned_runs(
            session=session,
            source=source,
            now=now,
            reason="Interrupted: the process running this sync stopped (crash, kill or restart). "
            "Nothing was lost; the next sync read again what it had not finished.",
        )
        if abandoned:
            log.warning("Marked %s abandoned %s sync run(s) as failed.", abandoned, source)
        state = store.ensure_state(session=session, source=source)
        if kind == SyncKind.INCREMENTAL and (state.watermark is None or state.full_sync_requested_at):
            kind = SyncKind.FULL
        if kind == SyncKind.FULL:
            state.full_sync_requested_at = None
            # Nightly housekeeping: incremental syncs that changed nothing add a row a minute.
            store.prune_runs(session=session)
        run = SyncRun(
            source=source,
            kind=kind,
            trigger=trigger,
            watermark_from=None if kind == SyncKind.FULL else state.watermark,
        )
        session.add(run)
        session.flush()
        assert run.id is not None
        store.set_lock_run(session=session, source=source, owner=lock.owner, run_id=run.id)
        return run.id


def _remember_user_count(count: int) -> None:
    """Okta's connection summary shows how many users the last full sync listed."""
    with db.session_scope(writer=True) as session:
        connection = okta_store.get_connection(session=session)
        if connection is not None:
            connection.user_count = count
            connection.user_count_is_lower_bound = False
            session.add(connection)


def is_running(*, source: str = OKTA) -> bool:
    """Whether a sync of `source` is in progress (by its run row)."""
    with db.session_scope(writer=False) as session:
        run = store.current_run(session=session, source=source)
        return run is not None and run.status in ACTIVE_RUN_STATUSES


def _okta_error_message(error: BaseException) -> str | None:
    """Okta's errors in an admin's words: a missing scope names the scope and the wizard step."""
    if isinstance(error, InsufficientScopeError):
        return problem_from_check_error(error).message
    if isinstance(error, NeedsReconnectError):
        return f"Okta needs reconnecting: {error} Syncing is paused until Okta is reconnected in Setup."
    if isinstance(error, NotConnectedError | OktaForeignLinkError):
        return str(error)
    if isinstance(error, OktaApiError) and error.status == 403:
        return problem_from_check_error(error).message
    if isinstance(error, OktaError):
        return f"Okta: {error}"
    return None


register_error_describer(_okta_error_message)
