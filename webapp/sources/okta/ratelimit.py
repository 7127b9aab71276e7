"""Okta's rate limits as Signet sees them: the headers, one bucket per path family, and how long to wait.

Okta answers every call with `X-Rate-Limit-Limit`, `-Remaining` and `-Reset` (UTC epoch seconds when
the bucket's minute ends), per bucket (https://developer.okta.com/docs/reference/rl-best-practices/).
A header can come twice (okta/okta-sdk-java#259): the smallest value wins (PITFALLS 4.5). Real orgs
may allow only 50 requests a minute on `/api/v1/users` (FACTS §8), and other apps of the same org
share those buckets, so Signet keeps a reserve for them and waits for the reset instead.

The state is per process and in memory: a restart simply learns it again from the next response.
"""

from __future__ import annotations

import contextlib
import math
import threading
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

DEFAULT_RESERVE_FRACTION = 0.10  # leave 10 % of every bucket to the org's other apps...
MIN_RESERVE = 2  # ...and at least this many requests
MAX_WINDOW_SECONDS = 61.0  # Okta's windows are one minute: never believe a longer wait
UNKNOWN_RESET_SECONDS = 60.0  # a 429 without a usable reset header: wait a whole window


def bucket_family(method: str, path: str) -> str:
    """The bucket a request counts against, named after the Okta limit it falls under (FACTS §4)."""
    if path == "/api/v1/users" and method == "GET":
        return "users_list"
    if path.startswith("/api/v1/users/"):
        return "users_get"
    if path.startswith("/api/v1/meta/"):
        return "schemas"
    if path.startswith("/api/v1/"):
        return "api"
    if path == "/oauth2/v1/token":
        return "token"
    if path.startswith(("/oauth2/", "/.well-known/")):
        return "oauth2"
    return "other"


def bucket_key(request: httpx.Request) -> str:
    """Buckets are per org (host and port) and family."""
    return f"{request.url.host}:{request.url.port or ''} {bucket_family(request.method, request.url.path)}"


def _header_ints(headers: httpx.Headers, name: str) -> list[int]:
    values = [part.strip() for line in headers.get_list(name) for part in line.split(",")]
    return [int(value) for value in values if value.isdigit()]


def server_epoch(headers: httpx.Headers, *, default: float) -> float:
    """The response's `Date` as epoch seconds (Okta's clock, not ours); `default` if absent or bad."""
    date = headers.get("date")
    if date:
        with contextlib.suppress(TypeError, ValueError, IndexError):
            return parsedate_to_datetime(date).timestamp()
    return default


@dataclass(frozen=True)
class RateHeaders:
    """The rate-limit headers of one response; `reset_in` is seconds until the reset by Okta's clock."""

    limit: int | None
    remaining: int | None
    reset_in: float | None

    @classmethod
    def read(cls, headers: httpx.Headers, *, wall_clock: float) -> RateHeaders:
        """Parse robustly: repeated headers and comma-joined values give their minimum; junk is ignored.

        The reset is judged against the response's `Date`, so a skewed local clock doesn't matter.
        """
        limits = _header_ints(headers, "x-rate-limit-limit")
        remaining = _header_ints(headers, "x-rate-limit-remaining")
        resets = _header_ints(headers, "x-rate-limit-reset")
        reset_in = min(resets) - server_epoch(headers, default=wall_clock) if resets else None
        return cls(
            limit=min(limits) if limits else None,
            remaining=min(remaining) if remaining else None,
            reset_in=reset_in,
        )

    def wait_after_429(self) -> float:
        """How long to wait after a 429 before the bucket refills (without jitter)."""
        if self.reset_in is None:
            return UNKNOWN_RESET_SECONDS
        # Date has whole seconds, so add one: waking up just before the reset costs another 429.
        return min(MAX_WINDOW_SECONDS, max(1.0, self.reset_in + 1.0))


@dataclass
class _Bucket:
    limit: int
    remaining: int
    resets_at: float  # on the monotonic clock


class RateLimits:
    """What Signet last heard about each bucket, shared by every thread of the process.

    Times (`now`) are on the caller's monotonic clock (the transport's, which tests replace).
    """

    def __init__(self, *, reserve_fraction: float = DEFAULT_RESERVE_FRACTION) -> None:
        self.reserve_fraction = reserve_fraction
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}

    def reserve(self, limit: int, fraction: float | None = None) -> int:
        """How many requests of a bucket are left to the org's other apps (`fraction` overrides
        the process-wide share for one caller, e.g. the sync's SYNC_RATE_LIMIT_RESERVE)."""
        share = self.reserve_fraction if fraction is None else fraction
        return max(MIN_RESERVE, math.floor(limit * share))

    def delay_before(self, key: str, *, now: float, reserve_fraction: float | None = None) -> float:
        """Seconds to wait before sending on this bucket (0: go, and count the request as used)."""
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                return 0.0
            left = bucket.resets_at - now
            if left <= 0:
                del self._buckets[key]  # a new window: learn it from the next response
                return 0.0
            if bucket.remaining <= self.reserve(bucket.limit, reserve_fraction):
                return left
            bucket.remaining -= 1  # other threads see it before Okta's answer arrives
            return 0.0

    def observe(self, key: str, rate: RateHeaders, *, now: float) -> None:
        """Remember a response's headers for its bucket."""
        if rate.limit is None or rate.remaining is None or rate.reset_in is None:
            return
        resets_in = min(MAX_WINDOW_SECONDS, max(0.0, rate.reset_in + 1.0))
        with self._lock:
            self._buckets[key] = _Bucket(rate.limit, rate.remaining, now + resets_in)
