"""Tables of the sync area: each sync run, the sync state of each source, and mass-change holds."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from webapp.db import timestamp_field


class SyncKind(StrEnum):
    """A full sync reads every user; an incremental one reads users changed since the watermark."""

    FULL = "full"
    INCREMENTAL = "incremental"


class SyncRunStatus(StrEnum):
    """Where a run is; templates read it (never retyped as literals)."""

    RUNNING = "running"
    WAITING = "waiting"  # paused for the source's rate limit until `waiting_until`
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # `error` says why; everything committed before the failure stays
    HELD = "held"  # finished, but deactivations/removals above the threshold await an admin


ACTIVE_RUN_STATUSES = frozenset({SyncRunStatus.RUNNING, SyncRunStatus.WAITING})


class SyncTrigger(StrEnum):
    """What started a run."""

    SCHEDULE = "schedule"
    CONNECT = "connect"  # right after a successful Okta connect
    MANUAL = "manual"  # an admin asked for it (Sync page)
    CLI = "cli"
    EVENT_HOOK = "event_hook"  # an Okta event hook said a user changed (webapp/sync/hooks.py)


class HoldStatus(StrEnum):
    """A hold waits for an admin, who confirms it (apply) or dismisses it (keep the teammates)."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


class HoldAction(StrEnum):
    """What a held item would do to its teammate."""

    DEACTIVATE = "deactivate"  # the source says inactive (deactivated, suspended, deprovisioned)
    REMOVE = "remove"  # the source no longer returns it at all


# Database model: one sync run of one source, with its progress and outcome (the Sync page polls it).
class SyncRun(SQLModel, table=True):
    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_source_started_at", "source", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=32)
    kind: str = Field(max_length=16)  # a SyncKind
    trigger: str = Field(default=SyncTrigger.SCHEDULE, max_length=16)  # a SyncTrigger
    status: str = Field(default=SyncRunStatus.RUNNING, max_length=16, index=True)  # a SyncRunStatus
    started_at: datetime = timestamp_field()
    finished_at: datetime | None = timestamp_field(nullable=True)
    duration_seconds: float | None = Field(default=None)
    # Progress: pages written and users processed so far (the source's total is unknown for Okta).
    pages: int = Field(default=0)
    users_processed: int = Field(default=0)
    # Every HTTP request sent to the source for this run, retries included.
    api_requests: int = Field(default=0)
    created: int = Field(default=0)
    updated: int = Field(default=0)
    deactivated: int = Field(default=0)
    reactivated: int = Field(default=0)
    removed: int = Field(default=0)
    # Deactivations and removals not applied because they exceeded the threshold (see SyncHold).
    held: int = Field(default=0)
    # Rate-limit waits (the source's reset, or the reserve kept for the org's other apps).
    rate_limit_waits: int = Field(default=0)
    rate_limit_wait_seconds: float = Field(default=0.0)
    # While waiting for a rate-limit window: until when (status is then WAITING).
    waiting_until: datetime | None = timestamp_field(nullable=True)
    # The watermark the run started from (incremental) and the largest lastUpdated it saw.
    watermark_from: datetime | None = timestamp_field(nullable=True)
    max_source_updated_at: datetime | None = timestamp_field(nullable=True)
    # Bumped by the running process; a RUNNING run whose process is gone is marked FAILED.
    heartbeat_at: datetime = timestamp_field()
    error: str | None = Field(default=None, max_length=2000)


# Database model: the sync settings and state of one source (one row per source).
class SyncState(SQLModel, table=True):
    __tablename__ = "sync_state"

    source: str = Field(primary_key=True, max_length=32)
    # Minutes between incremental syncs (1-60); None follows the SYNC_INTERVAL_MINUTES setting.
    poll_interval_minutes: int | None = Field(default=None)
    # The largest `lastUpdated` the source returned in a completed run (never the local clock).
    # The next incremental sync asks for users updated after it, minus the overlap and the slack.
    watermark: datetime | None = timestamp_field(nullable=True)
    # How long the run that set the watermark took: users changed while it paged may be on pages
    # already read, so the next run looks this much further back.
    watermark_slack_seconds: float = Field(default=0.0)
    last_full_sync_at: datetime | None = timestamp_field(nullable=True)
    last_full_sync_run_id: int | None = Field(default=None)
    last_sync_at: datetime | None = timestamp_field(nullable=True)
    # Only one sync of a source runs at a time, across threads, processes and hosts: the holder of
    # this lease (`host:pid:random`) until it expires; renewed while the sync runs.
    lock_owner: str | None = Field(default=None, max_length=255)
    lock_expires_at: datetime | None = timestamp_field(nullable=True)
    lock_run_id: int | None = Field(default=None)
    # A full sync an admin (or a connect) asked for that has not started yet.
    full_sync_requested_at: datetime | None = timestamp_field(nullable=True)
    # Hours between full syncs (they find users deleted in Okta when no event hook says so); None
    # follows the default for the org's size (`webapp.sync.full_interval`).
    full_sync_interval_hours: int | None = Field(default=None)
    # Targeted user checks event hooks asked for in the current minute, across every process:
    # floods of (even authentic) deliveries cannot spend Okta's rate limit (`webapp.sync.checks`).
    checks_window_started_at: datetime | None = timestamp_field(nullable=True)
    checks_in_window: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    updated_at: datetime = timestamp_field()


# Database model: deactivations/removals a sync did not apply because there were too many at once
# (more than the threshold of active teammates); an admin confirms or dismisses them.
class SyncHold(SQLModel, table=True):
    __tablename__ = "sync_holds"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=32)
    sync_run_id: int | None = Field(default=None, foreign_key="sync_runs.id", ondelete="SET NULL")
    status: str = Field(default=HoldStatus.PENDING, max_length=16, index=True)  # a HoldStatus
    created_at: datetime = timestamp_field()
    deactivate_count: int = Field(default=0)
    remove_count: int = Field(default=0)
    # Active teammates when the hold was made, and the threshold that was exceeded.
    active_teammates: int = Field(default=0)
    threshold: int = Field(default=0)
    resolved_at: datetime | None = timestamp_field(nullable=True)
    resolved_by_admin_id: int | None = Field(default=None, foreign_key="admin_users.id", ondelete="SET NULL")
    # Teammates actually changed when confirmed (some may have come back meanwhile).
    applied_count: int | None = Field(default=None)


# Database model: one teammate a hold keeps active.
class SyncHoldItem(SQLModel, table=True):
    __tablename__ = "sync_hold_items"
    __table_args__ = (Index("ix_sync_hold_items_hold_id_teammate_id", "hold_id", "teammate_id", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    hold_id: int = Field(foreign_key="sync_holds.id", ondelete="CASCADE")
    teammate_id: int = Field(foreign_key="teammates.id", index=True)
    action: str = Field(max_length=16)  # a HoldAction
    # The newest source_updated_at of the teammate's records when held: a dismissed item stops
    # holding back once a source changes the record again.
    records_updated_at: datetime | None = timestamp_field(nullable=True)


# Database model: Signet's end of the Okta event hook (one row, id 1). Okta calls `/hooks/okta`
# with the header the admin configured in Okta (`header_name: <secret>`); the secret is kept
# encrypted with the instance key (webapp/crypto.py) and shown to the admin only once.
class OktaEventHook(SQLModel, table=True):
    __tablename__ = "okta_event_hooks"

    id: int = Field(default=1, primary_key=True)
    enabled: bool = Field(default=False)
    header_name: str = Field(default="Authorization", max_length=64)
    secret_encrypted: str | None = Field(default=None, max_length=1000)
    created_at: datetime = timestamp_field()
    rotated_at: datetime | None = timestamp_field(nullable=True)
    # The last accepted delivery and the event types it carried (a hint for the admin, never data).
    last_event_at: datetime | None = timestamp_field(nullable=True)
    last_event_types: list[Any] = Field(default_factory=list, sa_type=JSON)
    accepted_count: int = Field(default=0)
    refused_count: int = Field(default=0)
    last_refused_at: datetime | None = timestamp_field(nullable=True)
    # When a process last started a hook-triggered sync: every process waits the minimum interval
    # after it before starting another (webapp/sync/hooks.py, `claim_sync_slot`).
    last_hook_sync_at: datetime | None = timestamp_field(nullable=True)


# Database model: an Okta event (its System Log `uuid`) that an event hook delivery carried. A
# delivery whose events are all here already is a replay (or Okta's retry) and starts nothing. Rows
# older than a day are deleted whenever new ones are written, so the table stays small.
class OktaEventSeen(SQLModel, table=True):
    __tablename__ = "okta_event_hook_events_seen"

    event_id: str = Field(primary_key=True, max_length=100)
    seen_at: datetime = timestamp_field(index=True)


# Database model: an Okta user Signet must look up by id soon, because an event hook said they
# changed (deactivated, deleted, updated...). One row per user (a second event is the same
# request); the next hook-triggered sync looks the pending ids up in batches (`filter=id eq "..."
# or ...`) and deletes the rows it checked. Kept in the database, so a check asked for in one
# process, or before a crash, is still done.
class PendingUserCheck(SQLModel, table=True):
    __tablename__ = "okta_pending_user_checks"

    external_id: str = Field(primary_key=True, max_length=100)  # Okta's user id (00u...)
    requested_at: datetime = timestamp_field(index=True)
