"""Where teammates' profiles come from: one small interface, so Rippling, Payfit, Google Workspace or
Entra ID can sit beside Okta later without the rest of Signet (the sync engine included) knowing
the difference."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from blinker import Namespace


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
    also says, in its own terms, whether the person is `active` (Okta: not deactivated, suspended
    or deprovisioned), their work `email` and their `display_name`, so the sync engine never needs
    to know a source's attribute names or statuses.
    """

    external_id: str
    status: str
    updated_at: datetime | None
    attributes: dict[str, Any] = field(default_factory=dict)
    active: bool = True
    email: str | None = None
    display_name: str = ""


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


_signals = Namespace()
# Sent (sender: the Flask app, keyword `source`: the source's key) once a source is connected or
# reconnected and its grant verified. The sync area listens and starts the first full sync, so a
# source never needs to know about syncing (imports flow one way: sources -> sync).
source_connected = _signals.signal("signet.source-connected")
