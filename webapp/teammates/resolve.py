"""A teammate's values, resolved from its source records.

Today every teammate has exactly one (Okta) record, so resolving is reading it. Later, HR sources add
records to the same teammate; the rules then stay here: a teammate is active while any of its
records is active and still returned by its source; its state is active when one of those records
is active, not yet active when none is but one is not yet active (inactive otherwise); its email
and display name come from its oldest record that has one (the directory it was first seen in),
and a value no record supplies never blanks one the teammate already has.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from webapp.sources.base import TeammateState


class RecordValues(Protocol):
    """What resolving reads from a record (a `SourceRecord`, or its row in a bulk query)."""

    @property
    def active(self) -> bool: ...

    @property
    def removed(self) -> bool: ...

    @property
    def state(self) -> str: ...

    @property
    def email(self) -> str | None: ...

    @property
    def display_name(self) -> str: ...


@dataclass(frozen=True)
class RecordView:
    """A record's values as resolving needs them."""

    active: bool
    removed: bool
    email: str | None
    display_name: str
    state: str = TeammateState.ACTIVE


@dataclass(frozen=True)
class Resolved:
    """A teammate's resolved values."""

    active: bool
    email: str | None
    display_name: str
    state: TeammateState = TeammateState.ACTIVE


def resolve(records: Sequence[RecordValues], *, current_email: str | None, current_name: str) -> Resolved:
    """Resolve from `records` (oldest first); the current values stay where no record has one."""
    live = {record.state for record in records if record.active and not record.removed}
    if TeammateState.ACTIVE in live:
        state = TeammateState.ACTIVE
    elif TeammateState.NOT_YET_ACTIVE in live:
        state = TeammateState.NOT_YET_ACTIVE
    else:
        # A live record of an unknown state counts as active (the record's `active` says so).
        state = TeammateState.ACTIVE if live else TeammateState.INACTIVE
    email = next((record.email for record in records if record.email), None) or current_email
    name = next((record.display_name for record in records if record.display_name), "") or current_name
    return Resolved(active=bool(live), email=email, display_name=name, state=state)
