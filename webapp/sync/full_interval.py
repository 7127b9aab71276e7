"""How often the full sync runs, and what it costs in Okta requests.

Without event hooks, a user deleted in Okta is only found by a full sync (an incremental listing
never shows someone who is gone), so the full sync's interval is how long a leaver may keep a
signature. A full sync costs one request per page of 200 users plus one for the schema (FACTS §2,
§3), and each request counts against the org's per-minute limit on `/api/v1/users` (600 by
default for most Okta plans, 50 in some orgs; FACTS §4, §8). The default is hourly up to 10,000
users (51 requests an hour: under 1% of a 600-a-minute limit) and nightly above.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from webapp.sources.okta.api import PAGE_LIMIT

# The intervals an admin may choose, in hours (they divide a day: runs fall at the same hours daily).
FULL_SYNC_HOURS: tuple[int, ...] = (1, 2, 3, 4, 6, 8, 12, 24)
HOURLY = 1
NIGHTLY = 24
# Up to this many users the default is hourly; above it, nightly.
HOURLY_UP_TO_USERS = 10_000
# Requests a full sync makes besides its pages: the user schema.
SCHEMA_REQUESTS = 1


def default_hours(user_count: int | None) -> int:
    """The interval for an org of `user_count` users (unknown before the first full sync: hourly)."""
    return HOURLY if user_count is None or user_count <= HOURLY_UP_TO_USERS else NIGHTLY


def effective_hours(chosen: int | None, user_count: int | None) -> int:
    """The admin's choice if it is one of `FULL_SYNC_HOURS`, else the default for the org's size."""
    return chosen if chosen in FULL_SYNC_HOURS else default_hours(user_count)


@dataclass(frozen=True)
class FullSyncCost:
    """Okta requests a full sync makes (pages of 200 users, plus the schema), per run and per day."""

    users: int | None
    hours: int

    @property
    def pages(self) -> int:
        """Pages of `PAGE_LIMIT` users a run reads (at least one)."""
        return max(1, math.ceil((self.users or 0) / PAGE_LIMIT))

    @property
    def per_run(self) -> int:
        """Requests a run makes: its pages and the schema."""
        return self.pages + SCHEMA_REQUESTS

    @property
    def runs_per_day(self) -> int:
        """Runs a day at this interval."""
        return 24 // self.hours

    @property
    def per_day(self) -> int:
        """Requests a day at this interval."""
        return self.per_run * self.runs_per_day
