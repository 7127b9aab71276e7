"""Where teammates' profiles come from: one small interface, so Rippling, Google Workspace or
Entra ID can sit beside Okta later without the rest of Signet knowing the difference."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class DirectoryAttribute:
    """One attribute a directory can supply (e.g. Okta's `title`, or a custom `pronouns`)."""

    name: str
    title: str
    type: str = "string"
    custom: bool = False


@dataclass(frozen=True)
class DirectoryProfile:
    """One person as the directory describes them; values are untrusted text."""

    external_id: str
    status: str
    updated_at: datetime | None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DirectoryCheck:
    """The result of checking a directory connection end to end."""

    source_label: str  # e.g. "dev-123.okta.com"
    attributes: list[DirectoryAttribute]
    # None when the check doesn't count users (Okta's doesn't: counting costs a call per 200 users).
    user_count: int | None = None
    user_count_is_lower_bound: bool = False


class DirectorySource(Protocol):
    """What Signet needs from any directory."""

    def check(self) -> DirectoryCheck:
        """Prove the connection works (a live read of users and of the attribute schema)."""
        ...

    def attributes(self) -> list[DirectoryAttribute]:
        """The attributes profiles can carry, base ones first."""
        ...

    def iter_profiles(self, *, updated_since: datetime | None = None) -> Iterator[DirectoryProfile]:
        """Every profile (or those changed since `updated_since`), leavers included."""
        ...
