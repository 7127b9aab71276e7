"""Per-minute rate-limit buckets, counted on the sandbox clock (FACTS.md §4).

Every response except the control API's carries ``X-Rate-Limit-Limit``, ``-Remaining`` and
``-Reset`` (UTC epoch seconds of the end of the window) for its bucket; an empty bucket answers
429 ``E0000047`` (rl-best-practices).
"""

from __future__ import annotations

from dataclasses import dataclass

from okta_sandbox.core import SandboxCore

# Per-minute buckets, defaults from developer.okta.com rl-global-mgmt (Workforce/Enterprise
# column, FACTS.md §4). "schemas" covers every other /api/v1 endpoint; "oauth2" covers
# /oauth2/v1/* and /.well-known/*.
DEFAULT_RATE_LIMITS: dict[str, int] = {"users_list": 600, "users_get": 2000, "schemas": 1200, "oauth2": 2000}
RATE_LIMIT_FAMILIES = frozenset(DEFAULT_RATE_LIMITS)


@dataclass(frozen=True, slots=True)
class RateLimitStatus:
    """The state of one bucket after a request was counted (or refused)."""

    family: str
    allowed: bool
    limit: int
    remaining: int
    reset_epoch: int


def rate_limit_family(method: str, path: str) -> str | None:
    """Which per-minute bucket a request counts against (``None``: not rate limited)."""
    if path == "/api/v1/users" and method == "GET":
        return "users_list"
    if path.startswith("/api/v1/users/"):
        return "users_get"
    if path.startswith("/api/v1/"):
        return "schemas"
    if path.startswith(("/oauth2/", "/.well-known/", "/login/")):
        return "oauth2"
    return None


class LimitsMixin(SandboxCore):
    """Configured limits and the current minute's counts."""

    _rate_limits: dict[str, int]
    _buckets: dict[str, tuple[int, int]]

    def _init_limits(self) -> None:
        self._rate_limits = dict(DEFAULT_RATE_LIMITS)
        self._buckets = {}

    def set_rate_limit(self, family: str, per_minute: int) -> None:
        """Set a bucket's per-minute limit. Families: ``users_list`` (GET /api/v1/users),
        ``users_get`` (GET /api/v1/users/{id}), ``schemas`` (every other /api/v1 path),
        ``oauth2`` (/oauth2/v1/* and /.well-known/*)."""
        if family not in RATE_LIMIT_FAMILIES:
            raise ValueError(
                f"Unknown rate-limit family {family!r}; expected one of {sorted(RATE_LIMIT_FAMILIES)}"
            )
        if per_minute < 0:
            raise ValueError("per_minute must be >= 0")
        with self._lock:
            self._rate_limits[family] = per_minute
            self._changed("sandbox.rate_limits.change", family=family)

    def rate_limits(self) -> dict[str, int]:
        """The current per-minute limit of each family."""
        with self._lock:
            return dict(self._rate_limits)

    def reset_rate_limits(self) -> None:
        """Restore the default limits and empty every bucket's count."""
        with self._lock:
            self._rate_limits = dict(DEFAULT_RATE_LIMITS)
            self._buckets.clear()
            self._changed("sandbox.rate_limits.change")

    def _bucket(self, family: str) -> tuple[int, int, int]:
        """``(limit, window start epoch, requests used in it)`` for the current clock minute."""
        now_epoch = int(self.clock.now().timestamp())
        window = now_epoch - now_epoch % 60
        start, used = self._buckets.get(family, (window, 0))
        return self._rate_limits[family], window, used if start == window else 0

    def consume_rate_limit(self, family: str) -> RateLimitStatus:
        """Count one request against ``family``'s bucket for the current clock minute."""
        with self._lock:
            limit, window, used = self._bucket(family)
            if used >= limit:
                return RateLimitStatus(family, False, limit, 0, window + 60)
            self._buckets[family] = (window, used + 1)
            return RateLimitStatus(family, True, limit, limit - used - 1, window + 60)

    def peek_rate_limit(self, family: str) -> RateLimitStatus:
        """A bucket's state without counting a request."""
        with self._lock:
            limit, window, used = self._bucket(family)
            return RateLimitStatus(family, used < limit, limit, max(0, limit - used), window + 60)
