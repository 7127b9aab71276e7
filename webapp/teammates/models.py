"""Tables of the teammates area: teammates, source records, their change history, source attributes.

A teammate is the person Signet makes a signature for. A source record is what one source (Okta
today; Rippling or Payfit later) says about one person, keyed by (source, external id). Today every
teammate has exactly one Okta record; later, HR sources add records joined to the same teammate (by
work email, or by a match an admin confirmed), and the teammate's values are resolved from its
records (`webapp.teammates.resolve`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from webapp.db import timestamp_field
from webapp.sources.base import TeammateState

__all__ = ["ChangeKind", "SourceAttribute", "SourceRecord", "Teammate", "TeammateChange", "TeammateState"]


class ChangeKind(StrEnum):
    """What happened to a teammate in one `TeammateChange` row."""

    CREATED = "created"  # first seen
    UPDATED = "updated"  # attribute values changed (see `changes`)
    DEACTIVATED = "deactivated"  # no longer active (deactivated, suspended, deprovisioned)
    REACTIVATED = "reactivated"  # active again
    REMOVED = "removed"  # its source no longer returns it at all (deleted there); made inactive


# Database model: one person Signet makes (or made) a signature for. Never deleted: a leaver
# becomes inactive, so their history stays readable.
class Teammate(SQLModel, table=True):
    __tablename__ = "teammates"

    id: int | None = Field(default=None, primary_key=True)
    # False once the teammate left (inactive); True while active *or not yet active*: `state` says
    # which. The two always agree (`active` is `state != inactive`); most code needs only `active`.
    active: bool = Field(default=True, index=True)
    # A TeammateState, resolved from the records (see `webapp.teammates.resolve`). Becoming inactive
    # waits for the end of a sync run, like `active` (`webapp.sync.holds`).
    state: str = Field(default=TeammateState.ACTIVE, max_length=16, index=True)
    # Resolved from the teammate's source records; kept when a source sends nothing better.
    email: str | None = Field(default=None, max_length=254, index=True)
    display_name: str = Field(default="", max_length=300)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    # When `active` last became False (None while active).
    deactivated_at: datetime | None = timestamp_field(nullable=True)


# Database model: what one source says about one person, keyed by (source, external id).
class SourceRecord(SQLModel, table=True):
    __tablename__ = "source_records"
    __table_args__ = (UniqueConstraint("source", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=32)  # "okta" (later "rippling", "payfit")
    external_id: str = Field(max_length=100)  # Okta's user id (00u...)
    teammate_id: int = Field(foreign_key="teammates.id", index=True)
    status: str = Field(default="", max_length=32)  # as the source says it: ACTIVE, SUSPENDED...
    # Whether the source counts this person as not inactive (computed by the source from `status`;
    # true for a person not yet active too). Indexed, like `removed_at`, so the few records that are
    # not live are found without a scan.
    active: bool = Field(default=True, index=True)
    # The source's status mapped onto a TeammateState by the source (Okta: STAGED is not yet active).
    state: str = Field(default=TeammateState.ACTIVE, max_length=16)
    # The status the source is moving the person to, only while it does (Okta's
    # `transitioningToStatus`: ACTIVE, DEPROVISIONED or PROVISIONED); None otherwise.
    transitioning_to_status: str | None = Field(default=None, max_length=32)
    # The whole profile as the source sent it: every attribute, custom ones included; values may be
    # strings, arrays, integers, numbers, booleans or null.
    profile: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # What the source names as the work email and the display name (resolved onto the teammate).
    email: str | None = Field(default=None, max_length=254)
    display_name: str = Field(default="", max_length=300)
    # The source's own last-change time (Okta's `lastUpdated`).
    source_updated_at: datetime | None = timestamp_field(nullable=True)
    first_seen_at: datetime = timestamp_field()
    last_synced_at: datetime = timestamp_field()
    # Set when a complete full sync no longer found it at the source (deleted there); cleared if it
    # comes back. Records are never deleted from Signet.
    removed_at: datetime | None = timestamp_field(nullable=True, index=True)
    # The last full sync run that saw it: after a complete full sync, records of the source not
    # stamped by that run are the ones the source no longer returns (found in SQL, never in memory).
    last_seen_run_id: int | None = Field(default=None)


# Database model: the history of a teammate: what changed, from what to what, when, in which run.
# One row per teammate per change (`changes` maps each changed profile attribute to [old, new]).
class TeammateChange(SQLModel, table=True):
    __tablename__ = "teammate_changes"
    __table_args__ = (Index("ix_teammate_changes_teammate_id_changed_at", "teammate_id", "changed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    teammate_id: int = Field(foreign_key="teammates.id")
    source_record_id: int | None = Field(default=None, foreign_key="source_records.id")
    sync_run_id: int | None = Field(default=None, foreign_key="sync_runs.id", ondelete="SET NULL", index=True)
    changed_at: datetime = timestamp_field()
    kind: str = Field(max_length=16)  # a ChangeKind
    # {"title": ["Engineer", "Senior Engineer"], "languages": [["en"], ["en", "fr"]], ...}; empty for
    # a creation (the record's profile holds the first values).
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    status_from: str | None = Field(default=None, max_length=32)
    status_to: str | None = Field(default=None, max_length=32)


# Database model: an attribute a source's profiles can carry (Okta's user schema), for mapping
# attributes to smart fields. Refreshed on every full sync and on demand; attributes that
# disappear from the schema keep their row with `removed_at` set.
class SourceAttribute(SQLModel, table=True):
    __tablename__ = "source_attributes"
    __table_args__ = (UniqueConstraint("source", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=32)
    name: str = Field(max_length=100)  # e.g. "title", "pronouns"
    title: str = Field(default="", max_length=300)  # the source's label, e.g. "Title"
    type: str = Field(default="string", max_length=32)  # string, boolean, number, integer, array
    custom: bool = Field(default=False)  # Okta: in the schema's `custom` definitions, not `base`
    position: int = Field(default=0)  # the source's order: base attributes first, then custom
    # What else the schema says of the attribute, kept as sent (validated shapes only): `oneOf`
    # ([{const, title}]), `enum`, `items` (with their own enum/oneOf), `format`, `maxLength` and
    # `permissions`. `webapp.teammates.enums` reads enum titles from it.
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    first_seen_at: datetime = timestamp_field()
    last_seen_at: datetime = timestamp_field()
    removed_at: datetime | None = timestamp_field(nullable=True)
