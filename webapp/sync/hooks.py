"""Okta event hooks: Okta tells Signet within seconds that a user changed, and Signet syncs at once.

Okta's contract (https://developer.okta.com/docs/concepts/event-hooks/, the Event Hooks API in
`/work/shared/okta/management-minimal.yaml`, `EventHook` and `verifyEventHook`):

- Once, when the admin clicks *Verify* in Okta, a GET carries `X-Okta-Verification-Challenge`; the
  endpoint answers `{"verification": "<that value>"}` within 3 seconds.
- Then each delivery is a POST of JSON (`eventType: "com.okta.event_hook"`, `data.events[]`, each
  with its own `eventType` such as `user.lifecycle.create` and `target[]`), carrying the header the
  admin configured (`authScheme: {type: HEADER, key, value}`; `Authorization: <secret>` by
  default). Okta waits 3 seconds for a 200/204 and retries once after a timeout or an error.

Signet treats a delivery as a hint only: it never reads profile values from it (an event could be
replayed or stale; the sync reads the truth from Okta's API). A relevant event type starts an
incremental sync in the background after a short debounce, so a burst of events costs one sync;
events that arrive while that sync runs make exactly one more follow. Polling stays on regardless.
A delivery whose events were all seen before (by their System Log `uuid`) starts nothing, and
hook-triggered syncs keep a minimum interval shared by every process (`hook_replays`). The ids of
the users that user events target are the one other thing read (`target_user_ids`): that sync looks
them up by id first (`webapp.sync.checks`), since a user deleted a second after being deactivated
never appears in its listing.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from sqlalchemy import update
from sqlmodel import Session, col

from webapp.db import utcnow
from webapp.extensions import db
from webapp.scheduling.store import database_now
from webapp.sources.okta.directory import OKTA_USER_ID
from webapp.sources.okta.service import okta_services
from webapp.sync import hook_replays
from webapp.sync.checks import MAX_CHECKS_PER_DELIVERY
from webapp.sync.models import OktaEventHook, SyncKind, SyncTrigger
from webapp.sync.service import SyncOutcome, run_sync

log = logging.getLogger(__name__)

HOOK_ID = 1
DEFAULT_HEADER_NAME = "Authorization"
# An HTTP header name (RFC 9110 token), short enough to type into Okta's form.
HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}")
# The header Okta's one-time verification GET carries (concepts/event-hooks, "One-time verification").
CHALLENGE_HEADER = "X-Okta-Verification-Challenge"
MAX_CHALLENGE_LENGTH = 200
# Okta batches events into one delivery; real bodies are a few KB each. Anything larger is refused.
MAX_BODY_BYTES = 256 * 1024
# The events that change what Signet knows about a user (Okta's event-type catalog,
# https://developer.okta.com/docs/reference/api/event-types/). Each is a hint to sync now.
SYNC_EVENT_TYPES: tuple[str, ...] = (
    "user.lifecycle.create",
    "user.lifecycle.activate",
    "user.lifecycle.reactivate",
    "user.lifecycle.deactivate",
    "user.lifecycle.suspend",
    "user.lifecycle.unsuspend",
    "user.lifecycle.delete.initiated",
    "user.lifecycle.delete.completed",
    "user.account.update_profile",
)
EVENT_TYPE = re.compile(r"[a-z0-9_.]{1,100}")
# Events whose target users are also looked up by id (webapp/sync/checks.py): a user deleted, or
# deactivated then deleted a second later, is invisible to the incremental sync's listing.
# Every sync event but a creation, which the incremental listing always sees (a new user is live).
CHECK_EVENT_TYPES = frozenset(SYNC_EVENT_TYPES) - {"user.lifecycle.create"}
MAX_RECORDED_TYPES = 10
# Each System Log event's `uuid` (LogEvent): the id replays are recognised by (`hook_replays`).
# An event without one is not Okta's shape and is ignored.
EVENT_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")
# Events read from one delivery at most (Okta batches at most 50); the rest are ignored.
MAX_EVENTS_PER_DELIVERY = 100
# Events arriving this close together share one sync (app.config EVENT_HOOK_DEBOUNCE_SECONDS).
DEBOUNCE_SECONDS = 1.0
# A sync already running (a scheduled one, or Sync now) may have read Okta before the change:
# the event's sync waits for it this long, then runs its own.
LOCK_WAIT_SECONDS = 120.0


class HookRequestError(ValueError):
    """A delivery Signet refuses: `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Delivery:
    """What an accepted delivery said: its event types (sorted, deduplicated) and whether any of
    them calls for a sync."""

    event_types: tuple[str, ...]
    # The users its events are about (`CHECK_EVENT_TYPES` only): Okta-shaped ids, de-duplicated,
    # at most `checks.MAX_CHECKS_PER_DELIVERY`; the next sync looks them up (webapp/sync/checks.py).
    user_ids: tuple[str, ...] = ()
    # Its events' System Log `uuid`s; `replayed` once they were all seen before (`hook_replays`).
    event_ids: tuple[str, ...] = ()
    replayed: bool = False

    @property
    def triggers_sync(self) -> bool:
        """Whether at least one event is a user lifecycle or profile change (never for a replay)."""
        return not self.replayed and any(kind in SYNC_EVENT_TYPES for kind in self.event_types)

    def as_replay(self) -> Delivery:
        """This delivery once its events were all seen before: it names them, but asks for nothing."""
        return Delivery(event_types=self.event_types, event_ids=self.event_ids, replayed=True)


# ----------------------------------------------------------------------------- store


def get_hook(*, session: Session) -> OktaEventHook | None:
    """The event hook's configuration, or None if the admin never generated a secret."""
    return session.get(OktaEventHook, HOOK_ID)


def set_secret(*, session: Session, header_name: str, secret: str) -> OktaEventHook:
    """Store a new secret (encrypted) under `header_name` and turn the hook on."""
    hook = get_hook(session=session)
    now = utcnow()
    if hook is None:
        hook = OktaEventHook(id=HOOK_ID, created_at=now)
    else:
        hook.rotated_at = now
    hook.header_name = header_name
    hook.secret_encrypted = okta_services.secret_box.encrypt(secret)
    hook.enabled = True
    session.add(hook)
    session.flush()
    return hook


def set_enabled(*, session: Session, enabled: bool) -> OktaEventHook | None:
    """Turn the hook on or off; None when there is no secret yet (it cannot be turned on)."""
    hook = get_hook(session=session)
    if hook is None or hook.secret_encrypted is None:
        return None
    hook.enabled = enabled
    session.add(hook)
    session.flush()
    return hook


def record_accepted(*, session: Session, event_types: tuple[str, ...], at: datetime) -> None:
    """Count an accepted delivery and remember when it came and what it named.

    The count is incremented in SQL (`accepted_count = accepted_count + 1`): concurrent deliveries
    each add theirs, where writing back a loaded row's value would lose all but one.
    """
    session.exec(
        update(OktaEventHook)
        .where(col(OktaEventHook.id) == HOOK_ID)
        .values(
            accepted_count=col(OktaEventHook.accepted_count) + 1,
            last_event_at=at,
            last_event_types=list(event_types[:MAX_RECORDED_TYPES]),
        )
    )


def record_refused(*, session: Session, count: int, at: datetime, created_at: datetime | None = None) -> bool:
    """Add `count` refused deliveries (wrong secret, not Okta's shape), in SQL like `record_accepted`.

    `created_at` (the hook's, when the deliveries were refused) keeps a late write of refusals
    counted in memory (`hook_refusals`) from landing on a hook set up again meanwhile. False if no
    row was changed.
    """
    query = update(OktaEventHook).where(col(OktaEventHook.id) == HOOK_ID)
    if created_at is not None:
        query = query.where(col(OktaEventHook.created_at) == created_at)
    result = session.exec(
        query.values(refused_count=col(OktaEventHook.refused_count) + count, last_refused_at=at)
    )
    return bool(result.rowcount == 1)


def new_secret() -> str:
    """A fresh secret to paste into Okta's *Authentication secret* field (256 bits)."""
    return secrets.token_urlsafe(32)


# ----------------------------------------------------------------------------- checking a delivery


def is_authentic(hook: OktaEventHook, headers: Callable[[str], str | None]) -> bool:
    """Whether the request carries the configured header with the secret (constant-time compare)."""
    if hook.secret_encrypted is None:
        return False
    provided = headers(hook.header_name)
    if provided is None:
        return False
    expected = okta_services.secret_box.decrypt(hook.secret_encrypted)
    return hmac.compare_digest(provided.encode("utf-8", "surrogateescape"), expected.encode("utf-8"))


def parse_delivery(body: bytes) -> Delivery:
    """The event types an Okta delivery names, with its events' ids (`uuid`); raises
    `HookRequestError(400)` for anything that is not Okta's shape. Events without a valid `uuid`, and
    those past `MAX_EVENTS_PER_DELIVERY`, are ignored."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:  # RecursionError: deep nesting
        raise HookRequestError(400, "the body is not JSON") from error
    data = document.get("data") if isinstance(document, dict) else None
    events = data.get("events") if isinstance(data, dict) else None
    if not isinstance(events, list):
        raise HookRequestError(400, "the body has no data.events list")
    events = [event for event in events[:MAX_EVENTS_PER_DELIVERY] if _event_id(event) is not None]
    # Only strings are kept before deduplicating: an eventType may be any JSON value (a list is unhashable).
    kinds = (event.get("eventType") for event in events if isinstance(event, dict))
    valid = sorted({kind for kind in kinds if isinstance(kind, str) and EVENT_TYPE.fullmatch(kind)})
    event_ids = tuple(dict.fromkeys(str(_event_id(event)) for event in events))
    return Delivery(event_types=tuple(valid), user_ids=target_user_ids(events), event_ids=event_ids)


def _event_id(event: object) -> str | None:
    """A System Log event's `uuid` if it has a valid one."""
    value = event.get("uuid") if isinstance(event, dict) else None
    return value if isinstance(value, str) and EVENT_ID.fullmatch(value) else None


def target_user_ids(events: list[object]) -> tuple[str, ...]:
    """The ids of the users (`target[]` entries of type "User") that events of `CHECK_EVENT_TYPES`
    name: only strings shaped like Okta's user ids, de-duplicated in order, at most
    `checks.MAX_CHECKS_PER_DELIVERY` (System Log `LogEvent.target`, Okta's event-hook payload)."""
    found: dict[str, None] = {}
    for event in events:
        kind = event.get("eventType") if isinstance(event, dict) else None
        if not isinstance(event, dict) or not isinstance(kind, str) or kind not in CHECK_EVENT_TYPES:
            continue
        targets = event.get("target")
        for target in targets if isinstance(targets, list) else []:
            user_id = target.get("id") if isinstance(target, dict) and target.get("type") == "User" else None
            if isinstance(user_id, str) and OKTA_USER_ID.fullmatch(user_id):
                found[user_id] = None
                if len(found) >= MAX_CHECKS_PER_DELIVERY:
                    return tuple(found)
    return tuple(found)


def valid_challenge(value: str | None) -> str | None:
    """The verification challenge if it looks like one (printable ASCII, short), else None."""
    if value is None or not 0 < len(value) <= MAX_CHALLENGE_LENGTH:
        return None
    return value if value.isascii() and value.isprintable() else None


# ----------------------------------------------------------------------------- the sync it triggers


class HookSyncs:
    """Starts the incremental syncs deliveries ask for: one background thread at a time.

    The first request starts a thread that waits the debounce, then syncs; requests while it waits
    are covered by that sync; requests while it syncs make it sync once more afterwards.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._again = False
        self.started = 0  # syncs this process ran for event hooks (benchmarks and tests read it)
        # When (database clock) each of those syncs claimed its start: the shared minimum interval is
        # kept between claims, which tests read.
        self.claimed_at: list[datetime] = []

    def request(self, app: Flask) -> None:
        """Ask for an incremental sync soon; returns at once."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                self._again = True
                return
            self._again = False
            self._thread = threading.Thread(
                target=self._run, args=(app,), name="signet-event-hook-sync", daemon=True
            )
            self._thread.start()

    def _run(self, app: Flask) -> None:
        delay = float(app.config.get("EVENT_HOOK_DEBOUNCE_SECONDS", DEBOUNCE_SECONDS))
        while True:
            time.sleep(delay)
            while (wait := self._claim(app)) > 0:
                time.sleep(wait)  # another sync (any process) started less than the interval ago
            with self._lock:
                self._again = False
                self.started += 1
            self._sync(app)
            with self._lock:
                if not self._again:
                    self._thread = None
                    return

    def _claim(self, app: Flask) -> float:
        """Claim this sync's start in the database: 0.0, or the seconds to wait before trying again."""
        interval = float(app.config.get("EVENT_HOOK_MIN_INTERVAL_SECONDS", hook_replays.MIN_INTERVAL_SECONDS))
        try:
            with app.app_context(), db.session_scope() as session:
                now = database_now(session=session)
                wait = hook_replays.claim_sync_slot(
                    session=session, hook_id=HOOK_ID, now=now, interval=interval
                )
        except Exception:
            log.exception("Could not claim the event hook sync's start; syncing anyway.")
            return 0.0
        if wait == 0.0:
            self.claimed_at.append(now)
        return wait

    def _sync(self, app: Flask) -> None:
        try:
            with app.app_context():
                outcome: SyncOutcome = run_sync(
                    app,
                    kind=SyncKind.INCREMENTAL,
                    trigger=SyncTrigger.EVENT_HOOK,
                    wait_for_lock=LOCK_WAIT_SECONDS,
                )
        except Exception:
            log.exception("The sync an Okta event asked for failed.")
            return
        if outcome.run is None:
            log.info("Event hook sync skipped: %s", outcome.skipped)
        else:
            log.info("Event hook sync (run %s): %s", outcome.run.id, outcome.run.status)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until no event-hook sync is pending or running (tests, benchmarks); False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                thread = self._thread
            if thread is None or not thread.is_alive():
                return True
            thread.join(timeout=min(0.1, max(0.0, deadline - time.monotonic())))
        return False


hook_syncs = HookSyncs()
