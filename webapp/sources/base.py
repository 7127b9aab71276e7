"""Where teammates' profiles come from: one small interface, so Rippling, Payfit, Google Workspace or
Entra ID can sit beside Okta later without the rest of Signet (the sync engine included) knowing
the difference."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from blinker import Namespace


class TeammateState(StrEnum):
    """Where a person stands, in Signet's terms: each source maps its own statuses onto these three
    (Okta's in `webapp.sources.okta.directory.okta_state`; HR sources will do the same)."""

    NOT_YET_ACTIVE = "not_yet_active"  # created but not started (Okta STAGED): no signature by default
    ACTIVE = "active"
    INACTIVE = "inactive"  # left: deactivated, suspended, deprovisioned, or removed from the source

    @property
    def label(self) -> str:
        """How the state reads on a page."""
        return _STATE_LABELS[self]


_STATE_LABELS = {
    TeammateState.NOT_YET_ACTIVE: "Not yet active",
    TeammateState.ACTIVE: "Active",
    TeammateState.INACTIVE: "Inactive",
}


@dataclass(frozen=True)
class DirectoryAttribute:
    """One attribute a directory can supply (e.g. Okta's `title`, or a custom `pronouns`)."""

    name: str
    title: str
    type: str = "string"
    custom: bool = False
    # Schema details kept as sent (see `SourceAttribute.details`): oneOf, enum, items, format, ...
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DirectoryProfile:
    """One person as the directory describes them; values are untrusted.

    `attributes` holds every attribute as sent (strings, arrays, numbers, booleans, null). The source
    also says, mapped from its own statuses, the person's `state` (`active` is "not inactive": true
    for a person not yet active too), their work `email` and their `display_name`, so the sync
    engine never needs to know a source's attribute names or statuses. `transitioning_to_status` is
    the status the source is moving the person to, while it does (Okta's `transitioningToStatus`).

    Giving only `active=False` means `state=INACTIVE`; `active` always follows `state`.
    """

    external_id: str
    status: str
    updated_at: datetime | None
    attributes: dict[str, Any] = field(default_factory=dict)
    active: bool = True
    email: str | None = None
    display_name: str = ""
    state: TeammateState = TeammateState.ACTIVE
    transitioning_to_status: str | None = None

    def __post_init__(self) -> None:
        state = TeammateState(self.state)
        if not self.active and state is TeammateState.ACTIVE:
            state = TeammateState.INACTIVE
        object.__setattr__(self, "state", state)
        object.__setattr__(self, "active", state is not TeammateState.INACTIVE)


@dataclass(frozen=True)
class DirectoryPage:
    """One page of a listing, as the sync engine consumes it.

    `max_updated_at` is the largest `updated_at` on the page (None if it has no user or no stamp);
    `requests` is how many HTTP requests the page cost (retries included); `is_last` says the
    listing ends here.
    """

    profiles: list[DirectoryProfile]
    max_updated_at: datetime | None
    requests: int
    is_last: bool


@dataclass(frozen=True)
class DirectoryCheck:
    """The result of checking a directory connection end to end."""

    source_label: str  # e.g. "dev-123.okta.com"
    attributes: list[DirectoryAttribute]
    # None when the check doesn't count users (Okta's doesn't: counting costs a call per 200 users).
    user_count: int | None = None
    user_count_is_lower_bound: bool = False


class RequestObserver(Protocol):
    """Told about every request a source sends and every wait it makes (the sync run records them).

    Called from the thread reading the source; implementations must be thread-safe and quick.
    """

    def request_sent(self) -> None:
        """One HTTP request (or retry) is about to be sent."""
        ...

    def waiting(self, seconds: float, *, rate_limited: bool) -> None:
        """The source is about to wait `seconds`: for a rate-limit window (`rate_limited`), or
        before retrying a failed request."""
        ...


class DirectorySource(Protocol):
    """What Signet needs from any directory."""

    # Short, stable name of the source: the `source` of its records and sync runs ("okta").
    key: str
    # How many people one `lookup_users` request looks up (callers drain checks in such batches).
    lookup_batch_size: int

    def check(self) -> DirectoryCheck:
        """Prove the connection works (a live read of users and of the attribute schema)."""
        ...

    def attributes(self) -> list[DirectoryAttribute]:
        """The attributes profiles can carry, base ones first."""
        ...

    def read_schema(self, *, observer: RequestObserver | None = None) -> list[DirectoryAttribute]:
        """The attributes profiles can carry, read now from the directory (base first, then custom)."""
        ...

    def iter_profiles(self, *, updated_since: datetime | None = None) -> Iterator[DirectoryProfile]:
        """Every profile (or those changed since `updated_since`), leavers included."""
        ...

    def iter_pages(
        self, *, updated_since: datetime | None = None, observer: RequestObserver | None = None
    ) -> Iterator[DirectoryPage]:
        """Every person of every status, leavers included, page by page (streamed: never all at
        once); with `updated_since`, only those the directory changed after that instant (its own
        clock). Retries what can be retried; raises with a clear message when it cannot go on."""
        ...

    def lookup_users(
        self, external_ids: Sequence[str], *, observer: RequestObserver | None = None
    ) -> list[DirectoryProfile]:
        """The current data of the people `external_ids`, every status included; someone the
        directory no longer has is simply absent from the result. Costs about one request per
        `lookup_batch_size` ids."""
        ...


_signals = Namespace()
# Sent (sender: the Flask app, keyword `source`: the source's key) once a source is connected or
# reconnected and its grant verified. The sync area listens and starts the first full sync, so a
# source never needs to know about syncing (imports flow one way: sources -> sync).
source_connected = _signals.signal("signet.source-connected")
