"""Write one page of profiles: idempotent upserts of source records, their teammates and history.

Everything here runs inside the caller's transaction (one per page) and reads nothing from the
network. Set-based where it matters (a page is up to 200 users, written while the next page is in
flight): one query finds the page's existing records, bulk INSERTs create new teammates and
records, bulk UPDATEs by primary key change the rest.

A page never deactivates a teammate: it records what the source says (status, `state`, `active`),
and the end of a successful run decides, for all teammates at once, which become inactive
(`webapp.sync.holds`), so a failed run or a mass change never retires anyone on its own. A teammate
a source says is active again is reactivated here at once: that is never harmful. A move between
*not yet active* and *active* (Okta STAGED -> ACTIVE) is written here too: the teammate's state
follows its records, and the page's `teammates_changed` re-renders its signature.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlmodel import Session, col

from webapp.sources.base import DirectoryProfile
from webapp.teammates.models import ChangeKind, SourceRecord, Teammate, TeammateChange
from webapp.teammates.resolve import RecordView, resolve

_OLDEST = datetime.min.replace(tzinfo=UTC)
# ORM bulk INSERTs leave out None values and so split rows into one statement per pattern of
# NULLs; rendering them keeps a page to one multi-row INSERT per table.
ONE_BATCH = {"render_nulls": True}
# psycopg caches (and prepares) only statements of at most 50 parameters; a 200-row INSERT would be
# re-parsed, in Python, for every page. On PostgreSQL rows therefore go in batches that stay under it.
PSYCOPG_CACHED_PARAMS = 50


def _batch(session: Session, rows: list[dict[str, Any]]) -> dict[str, Any]:
    if not rows or session.get_bind().dialect.name != "postgresql":
        return ONE_BATCH
    return {**ONE_BATCH, "insertmanyvalues_page_size": max(1, PSYCOPG_CACHED_PARAMS // len(rows[0]))}


@dataclass
class PageCounts:
    """What one page changed."""

    created: int = 0
    updated: int = 0
    reactivated: int = 0
    unchanged: int = 0
    # Teammates created, changed or reactivated by the page (`teammates_changed` after its commit).
    changed_teammate_ids: list[int] = field(default_factory=list)


def canonical(value: Any) -> str:
    """A JSON value as comparable text: `True`, `1` and `1.0` differ, key order does not."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def profile_changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """Each attribute whose value differs, as `[old, new]` (None where absent)."""
    # Most profiles are unchanged: two C-speed comparisons settle it (Python's == alone would
    # call True and 1 equal).
    if old == new and canonical(old) == canonical(new):
        return {}
    changes: dict[str, list[Any]] = {}
    for name in sorted(old.keys() | new.keys()):
        before, after = old.get(name), new.get(name)
        if name not in old or name not in new or canonical(before) != canonical(after):
            changes[name] = [before, after]
    return changes


def _email(profile: DirectoryProfile) -> str | None:
    return profile.email[:254] if profile.email else None


def _record_fields(profile: DirectoryProfile) -> dict[str, Any]:
    """A source record's columns that come straight from the source's profile."""
    return {
        "status": profile.status[:32],
        "active": profile.active,
        "state": profile.state.value,
        "transitioning_to_status": (profile.transitioning_to_status or "")[:32] or None,
        "profile": profile.attributes,
        "email": _email(profile),
        "display_name": profile.display_name[:300],
        "source_updated_at": profile.updated_at,
    }


_Changed = dict[int, tuple[int, DirectoryProfile, dict[str, list[Any]], str]]
"""Per teammate whose record changed: the record's id, the new profile, its diffs, the old status."""


def _latest_by_id(profiles: Sequence[DirectoryProfile]) -> dict[str, DirectoryProfile]:
    """One profile per external id (a source may repeat someone across pages; the newest wins)."""
    latest: dict[str, DirectoryProfile] = {}
    for profile in profiles:
        if not profile.external_id:
            continue
        previous = latest.get(profile.external_id)
        if previous is None or (profile.updated_at or _OLDEST) >= (previous.updated_at or _OLDEST):
            latest[profile.external_id] = profile
    return latest


def apply_page(
    *,
    session: Session,
    source: str,
    run_id: int,
    profiles: Sequence[DirectoryProfile],
    full: bool,
    now: datetime,
) -> PageCounts:
    """Upsert one page of `source`'s profiles for run `run_id`; returns what changed.

    A full run stamps every record it sees with its id (`last_seen_run_id`), so that afterwards the
    records it did not see can be found in SQL. Unchanged records are left alone by incremental
    runs (an overlap re-reads some users every time: they cost no write).
    """
    counts = PageCounts()
    latest = _latest_by_id(profiles)
    if not latest:
        return counts
    existing = _existing_records(session, source=source, external_ids=list(latest))
    new = [profile for external_id, profile in latest.items() if external_id not in existing]
    if new:
        created = _create(session, source=source, run_id=run_id, profiles=new, full=full, now=now)
        counts.created = len(new)
        counts.changed_teammate_ids.extend(created)
    changed = _update_existing(
        session, latest=latest, existing=existing, run_id=run_id, full=full, now=now, counts=counts
    )
    if changed:
        _resolve_changed(session, run_id=run_id, changed=changed, now=now, counts=counts)
    return counts


def _existing_records(session: Session, *, source: str, external_ids: list[str]) -> dict[str, Any]:
    """The page's records that already exist, by external id (only the columns compared)."""
    return {
        row.external_id: row
        for row in session.execute(
            select(
                col(SourceRecord.id),
                col(SourceRecord.external_id),
                col(SourceRecord.teammate_id),
                col(SourceRecord.status),
                col(SourceRecord.profile),
                col(SourceRecord.source_updated_at),
                col(SourceRecord.removed_at),
                col(SourceRecord.transitioning_to_status),
            ).where(col(SourceRecord.source) == source, col(SourceRecord.external_id).in_(external_ids))
        ).all()
    }


def _update_existing(
    session: Session,
    *,
    latest: dict[str, DirectoryProfile],
    existing: dict[str, Any],
    run_id: int,
    full: bool,
    now: datetime,
    counts: PageCounts,
) -> _Changed:
    """Update the records that differ from the source (and stamp the rest in a full run); returns
    the teammates whose records changed in substance, for `_resolve_changed`."""
    record_updates: list[dict[str, Any]] = []
    untouched: list[int] = []
    changed: _Changed = {}
    for external_id, profile in latest.items():
        row = existing.get(external_id)
        if row is None:
            continue
        old_profile = row.profile if isinstance(row.profile, dict) else {}
        diffs = profile_changes(old_profile, profile.attributes)
        status_changed = row.status != profile.status
        came_back = row.removed_at is not None
        transitioning_changed = row.transitioning_to_status != profile.transitioning_to_status
        if (
            diffs
            or status_changed
            or came_back
            or transitioning_changed
            or row.source_updated_at != profile.updated_at
        ):
            values: dict[str, Any] = {
                "id": row.id,
                **_record_fields(profile),
                "removed_at": None,
                "last_synced_at": now,
            }
            if full:
                values["last_seen_run_id"] = run_id
            record_updates.append(values)
            if diffs or status_changed or came_back:
                changed[row.teammate_id] = (row.id, profile, diffs, row.status)
            else:
                counts.unchanged += 1
        else:
            counts.unchanged += 1
            if full:
                untouched.append(row.id)
    if record_updates:
        session.execute(update(SourceRecord), record_updates)
    if untouched:
        session.execute(
            update(SourceRecord)
            .where(col(SourceRecord.id).in_(untouched))
            .values(last_seen_run_id=run_id, last_synced_at=now)
        )
    return changed


def _create(
    session: Session, *, source: str, run_id: int, profiles: list[DirectoryProfile], full: bool, now: datetime
) -> list[int]:
    """New people: a teammate and a record each, and a `created` change (bulk, ids in order);
    returns the new teammates' ids."""
    teammate_ids = _insert_with_ids(
        session,
        Teammate,
        [
            {
                "active": profile.active,
                "state": profile.state.value,
                "email": _email(profile),
                "display_name": profile.display_name[:300],
                "created_at": now,
                "updated_at": now,
                "deactivated_at": None if profile.active else now,
            }
            for profile in profiles
        ],
    )
    record_ids = _insert_with_ids(
        session,
        SourceRecord,
        [
            {
                "source": source,
                "external_id": profile.external_id[:100],
                "teammate_id": teammate_id,
                **_record_fields(profile),
                "first_seen_at": now,
                "last_synced_at": now,
                "removed_at": None,
                "last_seen_run_id": run_id if full else None,
            }
            for profile, teammate_id in zip(profiles, teammate_ids, strict=True)
        ],
    )
    created: list[dict[str, Any]] = [
        {
            "teammate_id": teammate_id,
            "source_record_id": record_id,
            "sync_run_id": run_id,
            "changed_at": now,
            "kind": ChangeKind.CREATED,
            "changes": {},
            "status_from": None,
            "status_to": profile.status[:32],
        }
        for profile, teammate_id, record_id in zip(profiles, teammate_ids, record_ids, strict=True)
    ]
    session.execute(insert(TeammateChange), created, execution_options=_batch(session, created))
    return teammate_ids


def _insert_with_ids(
    session: Session, model: type[Teammate] | type[SourceRecord], rows: list[dict[str, Any]]
) -> list[int]:
    """Insert `rows` in one batch and return their new ids, in order.

    PostgreSQL batches `INSERT ... RETURNING` in parameter order. SQLite cannot promise RETURNING
    order, so SQLAlchemy would fall back to one statement per row; there the ids are allocated here
    instead, as SQLite itself would (largest id + 1: these tables have no AUTOINCREMENT), which is
    safe because the page's transaction began with BEGIN IMMEDIATE: no one else writes meanwhile.
    """
    if session.get_bind().dialect.name == "sqlite":
        largest = session.execute(select(func.max(col(model.id)))).scalar_one_or_none() or 0
        ids = list(range(largest + 1, largest + 1 + len(rows)))
        session.execute(
            insert(model),
            [{"id": new_id, **row} for new_id, row in zip(ids, rows, strict=True)],
            execution_options=ONE_BATCH,
        )
        return ids
    statement = insert(model).returning(col(model.id), sort_by_parameter_order=True)
    return [
        int(new_id)
        for new_id in session.execute(statement, rows, execution_options=_batch(session, rows))
        .scalars()
        .all()
    ]


def _resolve_changed(
    session: Session,
    *,
    run_id: int,
    changed: _Changed,
    now: datetime,
    counts: PageCounts,
) -> None:
    """Re-resolve the teammates whose records changed; reactivate those active again; log history."""
    teammate_ids = list(changed)
    views = _record_views(session, teammate_ids)
    teammate_updates: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    for teammate in session.execute(
        select(
            col(Teammate.id),
            col(Teammate.active),
            col(Teammate.state),
            col(Teammate.email),
            col(Teammate.display_name),
        ).where(col(Teammate.id).in_(teammate_ids))
    ).all():
        record_id, profile, diffs, status_from = changed[teammate.id]
        resolved = resolve(
            views.get(teammate.id, []), current_email=teammate.email, current_name=teammate.display_name
        )
        reactivate = resolved.active and not teammate.active
        teammate_updates.append(
            {
                "id": teammate.id,
                "email": resolved.email,
                "display_name": resolved.display_name,
                "updated_at": now,
                # Deactivation waits for the end of the run (see the module docstring): until then
                # the teammate keeps its state; otherwise the state follows the records.
                "active": True if reactivate else teammate.active,
                "state": resolved.state.value if resolved.active else teammate.state,
                **({"deactivated_at": None} if reactivate else {}),
            }
        )
        if reactivate:
            counts.reactivated += 1
        else:
            counts.updated += 1
        counts.changed_teammate_ids.append(teammate.id)
        history.append(
            {
                "teammate_id": teammate.id,
                "source_record_id": record_id,
                "sync_run_id": run_id,
                "changed_at": now,
                "kind": ChangeKind.REACTIVATED if reactivate else ChangeKind.UPDATED,
                "changes": diffs,
                "status_from": status_from if status_from != profile.status else None,
                "status_to": profile.status[:32] if status_from != profile.status else None,
            }
        )
    _write_teammate_updates(session, teammate_updates)
    if history:
        session.execute(insert(TeammateChange), history, execution_options=_batch(session, history))


def _record_views(session: Session, teammate_ids: list[int]) -> dict[int, list[RecordView]]:
    """Each teammate's records, in id order, as `resolve` sees them."""
    views: dict[int, list[RecordView]] = {}
    for row in session.execute(
        select(
            col(SourceRecord.teammate_id),
            col(SourceRecord.active),
            col(SourceRecord.removed_at),
            col(SourceRecord.email),
            col(SourceRecord.display_name),
            col(SourceRecord.state),
        )
        .where(col(SourceRecord.teammate_id).in_(teammate_ids))
        .order_by(col(SourceRecord.id))
    ).all():
        views.setdefault(row.teammate_id, []).append(
            RecordView(
                active=row.active,
                removed=row.removed_at is not None,
                email=row.email,
                display_name=row.display_name,
                state=row.state,
            )
        )
    return views


def _write_teammate_updates(session: Session, teammate_updates: list[dict[str, Any]]) -> None:
    """Bulk UPDATE by primary key groups rows by their set of keys: reactivations form their own batch."""
    for batch in (
        [row for row in teammate_updates if "deactivated_at" in row],
        [row for row in teammate_updates if "deactivated_at" not in row],
    ):
        if batch:
            session.execute(update(Teammate), batch)
