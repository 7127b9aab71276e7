"""Replayed event-hook deliveries start nothing, and hook-triggered syncs keep a minimum interval
shared by every process.

Okta's deliveries carry System Log events, each with its own `uuid`
(https://developer.okta.com/docs/concepts/event-hooks/, "Event delivery"; the `LogEvent` schema of
the System Log API). Okta retries a delivery once after a timeout or an error, and anyone who holds
one valid delivery can post it again and again. So the ids of the events of every accepted
delivery are remembered for a day (`OktaEventSeen`, pruned whenever new ids are written), and a
delivery whose events were all seen before is acknowledged but asks for no sync and no user check.

The debounce in `hooks.HookSyncs` is per process; several workers or hosts would each sync. Before
a hook-triggered sync starts, its process claims the slot in the database (`claim_sync_slot`, one
conditional UPDATE of `okta_event_hooks.last_hook_sync_at`): at most one such sync starts per
minimum interval across all processes, and a process that finds the slot taken waits for it rather
than dropping its events (they may have come after the other sync read Okta).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Insert, delete, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from webapp.sync.models import OktaEventHook, OktaEventSeen

# How long an event id is remembered: far beyond Okta's one retry, and a replay after it costs at
# most one sync within the minimum interval.
SEEN_FOR = timedelta(hours=24)
# Seconds between two hook-triggered syncs, across every process (app.config
# EVENT_HOOK_MIN_INTERVAL_SECONDS): at most 6 a minute, a few requests each, well inside a
# 50-requests-a-minute Users API bucket (FACTS §8) whatever is delivered.
MIN_INTERVAL_SECONDS = 10.0
EVENT_ID = "event_id"


def remember_events(*, session: Session, event_ids: Sequence[str], now: datetime) -> tuple[str, ...]:
    """Record `event_ids` as seen and return those never seen before (in the caller's transaction).

    One INSERT ... ON CONFLICT DO NOTHING ... RETURNING: of two deliveries of the same event at
    once, exactly one gets it back as new (SQLite and PostgreSQL alike). Ids older than `SEEN_FOR`
    are deleted first, so the table holds about a day of events.
    """
    if not event_ids:
        return ()
    session.exec(delete(OktaEventSeen).where(col(OktaEventSeen.seen_at) < now - SEEN_FOR))
    unique = tuple(dict.fromkeys(event_ids))
    rows = [{"event_id": event_id, "seen_at": now} for event_id in unique]
    inserted = session.exec(_insert_new(session, rows).returning(col(OktaEventSeen.event_id)))
    fresh = {str(event_id) for event_id in inserted.scalars().all()}
    return tuple(event_id for event_id in unique if event_id in fresh)


def _insert_new(session: Session, rows: list[dict[str, object]]) -> Insert:
    # INSERT ... ON CONFLICT DO NOTHING: an id already there (or inserted meanwhile) stays as it is.
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(OktaEventSeen).values(rows).on_conflict_do_nothing(index_elements=[EVENT_ID])
    return sqlite.insert(OktaEventSeen).values(rows).on_conflict_do_nothing(index_elements=[EVENT_ID])


def claim_sync_slot(*, session: Session, hook_id: int, now: datetime, interval: float) -> float:
    """Claim the start of a hook-triggered sync at `now`: 0.0 if claimed, else the seconds until the
    last claim (by any process) is `interval` old. One conditional UPDATE, so of two processes
    claiming at once exactly one wins. Without a hook row there is nothing to share: 0.0.
    """
    cutoff = now - timedelta(seconds=interval)
    last = col(OktaEventHook.last_hook_sync_at)
    claimed = session.exec(
        update(OktaEventHook)
        .where(col(OktaEventHook.id) == hook_id)
        .where(or_(last.is_(None), last <= cutoff))
        .values(last_hook_sync_at=now)
    )
    if claimed.rowcount == 1:
        return 0.0
    hook = session.get(OktaEventHook, hook_id)
    if hook is None or hook.last_hook_sync_at is None:
        return 0.0
    return max(0.0, (hook.last_hook_sync_at - cutoff).total_seconds())
