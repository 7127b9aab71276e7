"""The Sync page: the Okta connection, last and next sync, "Sync now" with live progress, the poll
interval, mass deactivations held for confirmation, and the history of runs.

Each region is a partial with a stable id, served alone to htmx by its own GET endpoint (and as the
whole page otherwise, so every URL works without JavaScript). The progress region polls itself
every second while a run is in progress and stops (renders without its trigger) once it is over,
telling the other regions to refresh with an `HX-Trigger` event.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, current_app, flash, request, url_for
from flask_login import current_user

from jobs import scheduler
from jobs import sync as sync_jobs
from webapp.audit.record import audit_request
from webapp.extensions import db
from webapp.rendering import redirect_to, render, wants_fragment
from webapp.security import render_error
from webapp.sources.base import source_connected
from webapp.sources.okta.directory import SOURCE_KEY as OKTA
from webapp.sources.okta.status import connection_summary
from webapp.sync import full_interval as full_intervals
from webapp.sync import hook_views, queries, store
from webapp.sync.holds import HoldError, confirm_hold, dismiss_hold
from webapp.sync.models import (
    ACTIVE_RUN_STATUSES,
    HoldAction,
    SyncKind,
    SyncRun,
    SyncRunStatus,
    SyncTrigger,
)
from webapp.sync.store import MAX_POLL_INTERVAL_MINUTES, MIN_POLL_INTERVAL_MINUTES
from webapp.teammates.signals import teammates_changed

bp = Blueprint("sync", __name__, url_prefix="/sync")
MAX_ID = 2**31 - 1
PAGE = "sync/index.html"
# Events the progress region (and the forms) send so the other regions refresh themselves.
SYNC_FINISHED = "syncFinished"
SCHEDULE_CHANGED = "syncScheduleChanged"
HOLDS_CHANGED = "syncHoldsChanged"
# After "Sync now", the run row appears once the background thread has the sync lock: the progress
# region says "Starting…" this long before it gives up waiting (unless the lock shows a run starting).
STARTING_SECONDS = 60
# The full-sync interval form's value for "the default for the org's size".
FULL_SYNC_DEFAULT = "default"
NUMBER = re.compile(r"[0-9]{1,10}")
TRIGGER_LABELS = {
    SyncTrigger.SCHEDULE: "Scheduled",
    SyncTrigger.MANUAL: "Sync now",
    SyncTrigger.CONNECT: "After connecting",
    SyncTrigger.CLI: "Command line",
    SyncTrigger.EVENT_HOOK: "Okta event hook",
}
STATUS_LABELS = {
    SyncRunStatus.RUNNING: "Running",
    SyncRunStatus.WAITING: "Waiting for Okta",
    SyncRunStatus.SUCCEEDED: "Succeeded",
    SyncRunStatus.FAILED: "Failed",
    SyncRunStatus.HELD: "Held for confirmation",
}


def format_duration(seconds: float | None) -> str:
    """Jinja filter `duration`: `0.4 s`, `12 s`, `3 min 05 s`, `1 h 02 min`; "—" when unknown."""
    if seconds is None:
        return "—"
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def init_app(app: Flask) -> None:
    """Give templates the sync constants they test (never retyped as literals) and `|duration`."""
    app.jinja_env.globals.update(
        SYNC_EVENTS={"finished": SYNC_FINISHED, "schedule": SCHEDULE_CHANGED, "holds": HOLDS_CHANGED},
        SYNC_TRIGGER_LABELS=TRIGGER_LABELS,
        SYNC_STATUS_LABELS=STATUS_LABELS,
        SyncRunStatus=SyncRunStatus,
        SyncKind=SyncKind,
        SyncTrigger=SyncTrigger,
        HoldAction=HoldAction,
        ACTIVE_RUN_STATUSES=ACTIVE_RUN_STATUSES,
        MIN_POLL_INTERVAL_MINUTES=MIN_POLL_INTERVAL_MINUTES,
        MAX_POLL_INTERVAL_MINUTES=MAX_POLL_INTERVAL_MINUTES,
        FULL_SYNC_HOURS=full_intervals.FULL_SYNC_HOURS,
        FULL_SYNC_HOURLY=full_intervals.HOURLY,
        FULL_SYNC_HOURLY_UP_TO=full_intervals.HOURLY_UP_TO_USERS,
        FULL_SYNC_DEFAULT_CHOICE=FULL_SYNC_DEFAULT,
    )
    app.add_template_filter(format_duration, "duration")
    source_connected.connect(_full_sync_after_connect)
    hook_views.init_app(app)  # the event hook's blueprint (`/hooks/okta` has no /sync prefix)


def _full_sync_after_connect(app: Flask, **_: Any) -> None:
    """A source was just connected: read everyone now rather than at the next nightly full sync.

    `SYNC_AFTER_CONNECT=False` (tests that count requests or drive syncs themselves) turns it off.
    """
    if app.config.get("SYNC_AFTER_CONNECT", True):
        sync_jobs.start_full_sync_in_background(app, trigger=SyncTrigger.CONNECT)


bp.record_once(lambda state: init_app(state.app))  # type: ignore[arg-type]


def _int_arg(name: str, default: int = 0) -> int:
    value = request.args.get(name, "")
    return int(value) if NUMBER.fullmatch(value) else default


# ----------------------------------------------------------------------------- regions


@dataclass(frozen=True)
class Progress:
    """What the progress region shows: a run (in progress or just finished), "Starting…", or nothing.

    `after` is the newest run id when the sync was asked for and `requested` when (epoch seconds):
    the poll looks for a run started after it.
    """

    run: SyncRun | None = None
    starting: bool = False
    not_started: bool = False
    after: int = 0
    requested: int = 0
    estimate: int | None = None

    @property
    def polling(self) -> bool:
        """Whether the region asks again in a second."""
        return self.starting or (self.run is not None and self.run.status in ACTIVE_RUN_STATUSES)

    @property
    def finished(self) -> bool:
        """Whether it shows a run that has just ended."""
        return self.run is not None and self.run.finished_at is not None


def _estimate(run: SyncRun | None) -> int | None:
    """How many users a full sync will read (Okta gives no total): the last full sync's count."""
    if run is None or run.kind != SyncKind.FULL:
        return None
    connection = connection_summary(session=db.session).connection
    count = connection.user_count if connection else None
    return count if count and count >= run.users_processed else None


def _progress(*, after: int | None = None, requested: int | None = None) -> Progress:
    """The progress region's state (see `Progress`); without `after`, the run in progress if any."""
    session = db.session
    current = store.current_run(session=session, source=OKTA)
    if after is None:
        if current is None:
            return Progress()
        assert current.id is not None
        return Progress(
            run=current, after=current.id - 1, requested=int(time.time()), estimate=_estimate(current)
        )
    requested = requested or int(time.time())
    if current is not None:
        return Progress(run=current, after=after, requested=requested, estimate=_estimate(current))
    mine = queries.run_after(session=session, source=OKTA, after_id=after)
    if mine is not None:
        return Progress(run=mine, after=after, requested=requested)
    state = store.get_state(session=session, source=OKTA)
    lock_held = state.lock_owner is not None
    if time.time() - requested < STARTING_SECONDS or lock_held:
        return Progress(starting=True, after=after, requested=requested)
    return Progress(not_started=True, after=after, requested=requested)


def _status_context() -> dict[str, Any]:
    session = db.session
    return {
        "okta": connection_summary(session=session),
        "schedule": queries.schedule(session=session, app=current_app, source=OKTA),
        "last_run": store.last_finished_run(session=session, source=OKTA),
        "current_run": store.current_run(session=session, source=OKTA),
        "full_interval": queries.full_sync_plan(session=session, source=OKTA),
    }


def _interval_context(
    *, error: str | None = None, value: str | None = None, saved: bool = False
) -> dict[str, Any]:
    schedule = queries.schedule(session=db.session, app=current_app, source=OKTA)
    return {
        "interval_schedule": schedule,
        "interval_error": error,
        "interval_value": value if value is not None else str(schedule.interval_minutes),
        "interval_saved": saved,
    }


def _full_interval_context(*, error: str | None = None, saved: bool = False) -> dict[str, Any]:
    return {
        "full_interval": queries.full_sync_plan(session=db.session, source=OKTA),
        "full_interval_error": error,
        "full_interval_saved": saved,
    }


def _holds_context(*, error: str | None = None) -> dict[str, Any]:
    return {"holds": queries.pending_hold_views(session=db.session, source=OKTA), "hold_error": error}


def _history_context(page: int = 1) -> dict[str, Any]:
    return {"history": queries.run_page(session=db.session, source=OKTA, page=page)}


def _page(partial: str | None, *, status: int = 200, **region: Any) -> Response:
    """The Sync page, or for htmx only `partial`, whose context `region` holds (the rest of the page
    is only read for a full page)."""
    context: dict[str, Any] = dict(region)
    if partial is None or not wants_fragment():
        context = {
            **_status_context(),
            "progress": _progress(),
            **_interval_context(),
            **_full_interval_context(),
            **_holds_context(),
            **_history_context(),
            **hook_views.event_hook_context(),
            **region,
        }
    return render(PAGE, partial=partial, status=status, **context)


def sync_page(*, status: int = 200, **region: Any) -> Response:
    """The whole Sync page, `region` overriding part of its context (the event hook section)."""
    return _page(None, status=status, **region)


# ----------------------------------------------------------------------------- pages and fragments


@bp.get("/")
def index() -> Response:
    """The Sync page (`?page=` pages the run history)."""
    return _page(None, **_history_context(_int_arg("page", 1)))


@bp.get("/status")
def status() -> Response:
    """The connection, last and next sync, and the Sync now buttons (refreshed when a run ends)."""
    return _page("sync/_status.html", **_status_context())


@bp.get("/progress")
def progress() -> Response:
    """The progress region: polled every second while a run is in progress; once it is over, shown
    without its trigger (so polling stops) and with `HX-Trigger: syncFinished`."""
    after = _int_arg("after", -1)
    shown = _progress(after=after if after >= 0 else None, requested=_int_arg("requested") or None)
    response = _page("sync/_progress.html", progress=shown)
    if wants_fragment() and (shown.finished or shown.not_started):
        response.headers["HX-Trigger"] = SYNC_FINISHED
    return response


@bp.get("/holds")
def holds() -> Response:
    """Mass deactivations waiting for an admin (refreshed when a run ends)."""
    return _page("sync/_holds.html", **_holds_context())


@bp.get("/history")
def history() -> Response:
    """The run history, newest first, `?page=` by page (refreshed when a run ends)."""
    return _page("sync/_history.html", **_history_context(_int_arg("page", 1)))


# ----------------------------------------------------------------------------- actions


@bp.post("/run")
def run() -> Response:
    """Sync now (`kind=incremental`, the default) or a full sync (`kind=full`), in the background.

    htmx gets the progress region, which then polls; a plain form is redirected to the Sync page.
    """
    kind = SyncKind.FULL if request.form.get("kind") == SyncKind.FULL else SyncKind.INCREMENTAL
    okta = connection_summary(session=db.session)
    if not okta.is_connected:
        db.session.rollback()
        message = (
            "Okta needs reconnecting before Signet can sync."
            if okta.needs_reconnect
            else ("Connect Okta in Setup before syncing.")
        )
        return render_error(409, message)
    running = store.current_run(session=db.session, source=OKTA)
    after = queries.newest_run_id(session=db.session, source=OKTA)
    db.session.commit()  # the background sync opens its own transactions: hold no lock across its start
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    if running is None and sync_jobs.start_sync_in_background(app, kind=kind, trigger=SyncTrigger.MANUAL):
        audit_request("sync.started", f"Started a {kind} sync from the Sync page")  # commits
        notice = "Full sync started." if kind == SyncKind.FULL else "Sync started."
        shown = _progress(after=after, requested=int(time.time()))
    else:
        notice = "A sync is already running; its progress is shown below."
        shown = _progress()
    if not wants_fragment():
        flash(notice, "success")
        return redirect_to(url_for("sync.index"))
    return render(PAGE, partial="sync/_progress.html", progress=shown)


@bp.post("/interval")
def interval() -> Response:
    """Set the minutes between incremental syncs (1-60); errors re-show the form with status 422."""
    value = request.form.get("minutes", "").strip()
    minutes = int(value) if NUMBER.fullmatch(value) else None
    if minutes is None or not MIN_POLL_INTERVAL_MINUTES <= minutes <= MAX_POLL_INTERVAL_MINUTES:
        db.session.rollback()
        bounds = f"{MIN_POLL_INTERVAL_MINUTES} to {MAX_POLL_INTERVAL_MINUTES}"
        error = (
            f"Enter a whole number of minutes, from {bounds}."
            if minutes is None
            else f"Choose from {bounds} minutes."
        )
        return _page("sync/_interval.html", status=422, **_interval_context(error=error, value=value[:20]))
    store.set_poll_interval(session=db.session, source=OKTA, minutes=minutes)
    audit_request("sync.interval_changed", f"Set the sync interval to {minutes} min")  # commits
    scheduler.reschedule(current_app._get_current_object())  # type: ignore[attr-defined]
    if not wants_fragment():
        flash(f"Signet now syncs every {minutes} min.", "success")
        return redirect_to(url_for("sync.index"))
    response = render(PAGE, partial="sync/_interval.html", **_interval_context(saved=True))
    response.headers["HX-Trigger"] = SCHEDULE_CHANGED
    return response


@bp.post("/full-interval")
def full_interval() -> Response:
    """Set the hours between full syncs (or the default for the org's size); 422 for anything else."""
    value = request.form.get("hours", "").strip()
    hours = int(value) if NUMBER.fullmatch(value) else None
    if value != FULL_SYNC_DEFAULT and hours not in full_intervals.FULL_SYNC_HOURS:
        db.session.rollback()
        choices = ", ".join(str(choice) for choice in full_intervals.FULL_SYNC_HOURS)
        error = f"Choose one of {choices} hours, or the default for the org's size."
        return _page("sync/_full_interval.html", status=422, **_full_interval_context(error=error))
    store.set_full_sync_interval(session=db.session, source=OKTA, hours=hours)
    summary = f"every {hours} h" if hours is not None else "the default for the org's size"
    audit_request("sync.full_interval_changed", f"Set the full sync interval to {summary}")  # commits
    scheduler.reschedule(current_app._get_current_object())  # type: ignore[attr-defined]
    if not wants_fragment():
        flash(f"Full syncs now run {summary}.", "success")
        return redirect_to(url_for("sync.index") + "#full-sync-interval")
    response = render(PAGE, partial="sync/_full_interval.html", **_full_interval_context(saved=True))
    response.headers["HX-Trigger"] = SCHEDULE_CHANGED
    return response


def _resolve_hold(hold_id: int, *, confirm: bool) -> Response:
    admin_id = current_user.id
    try:
        hold = (confirm_hold if confirm else dismiss_hold)(
            session=db.session, hold_id=hold_id, admin_id=admin_id
        )
    except HoldError as error:
        db.session.rollback()
        return render_error(409, str(error))
    if confirm:
        summary = f"Confirmed held sync changes: {hold.applied_count} teammate(s) made inactive"
    else:
        summary = "Dismissed held sync changes: the teammates stay active"
    audit_request("sync.hold_confirmed" if confirm else "sync.hold_dismissed", summary)  # commits
    if confirm and hold.applied_count:
        # Higher areas (signatures) react to teammates made inactive, as after a sync's own end.
        teammate_ids = store.hold_teammate_ids(session=db.session, hold_id=hold_id)
        db.session.commit()  # the read above opened a transaction: end it before others write
        teammates_changed.send(
            current_app._get_current_object(),  # type: ignore[attr-defined]
            teammate_ids=teammate_ids,
            sync_run_id=hold.sync_run_id,
        )
    if not wants_fragment():
        flash(summary + ".", "success")
        return redirect_to(url_for("sync.index"))
    response = render(PAGE, partial="sync/_holds.html", hold_notice=summary + ".", **_holds_context())
    response.headers["HX-Trigger"] = HOLDS_CHANGED
    return response


@bp.post(f"/holds/<int(max={MAX_ID}):hold_id>/confirm")
def confirm(hold_id: int) -> Response:
    """Apply a held mass deactivation (409 if it is unknown or already resolved)."""
    return _resolve_hold(hold_id, confirm=True)


@bp.post(f"/holds/<int(max={MAX_ID}):hold_id>/dismiss")
def dismiss(hold_id: int) -> Response:
    """Keep the held teammates active (409 if the hold is unknown or already resolved)."""
    return _resolve_hold(hold_id, confirm=False)
