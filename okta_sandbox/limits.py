"""Per-minute rate-limit buckets, counted on the sandbox clock (FACTS.md §4, §8).

Every response except the control API's carries ``X-Rate-Limit-Limit``, ``-Remaining`` and
``-Reset`` (UTC epoch seconds of the end of the window) for its bucket; an empty bucket answers
429 ``E0000047`` (developer.okta.com rl-best-practices). Buckets are configurable one by one
(:meth:`LimitsMixin.set_rate_limit`) or with a preset such as ``real-2026``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from okta_sandbox.core import SandboxCore


@dataclass(frozen=True, slots=True)
class Bucket:
    """A rate-limit bucket: its name, the requests it counts, its default, and an enclosing bucket."""

    name: str
    covers: str
    default: int
    parent: str | None = None


# Defaults: developer.okta.com rl-global-mgmt, Workforce/Enterprise column (FACTS.md §4).
# A request counts against its own bucket and the enclosing one, if any: "token" and
# "authorize" are parts of the org AS family "oauth2", which keeps its own limit.
BUCKETS: tuple[Bucket, ...] = (
    Bucket("users_list", "GET /api/v1/users", 600),
    Bucket("users_get", "/api/v1/users/{id|login|me}", 2000),
    Bucket("schemas", "every other /api/v1 path, /api/v1/meta/schemas/... included", 1200),
    Bucket("oauth2", "/oauth2/v1/*, /.well-known/*, /login/*", 2000),
    Bucket("token", "/oauth2/v1/token (also counted in oauth2)", 2000, parent="oauth2"),
    Bucket("authorize", "/oauth2/v1/authorize..., /login/signin (also counted in oauth2)", 2000, "oauth2"),
)
DEFAULT_RATE_LIMITS: dict[str, int] = {bucket.name: bucket.default for bucket in BUCKETS}
RATE_LIMIT_BUCKETS = frozenset(DEFAULT_RATE_LIMITS)
RATE_LIMIT_FAMILIES = RATE_LIMIT_BUCKETS  # the buckets' former name
_PARENTS = {bucket.name: bucket.parent for bucket in BUCKETS}

# Presets change some buckets and leave the others at their defaults.
RATE_LIMIT_PRESETS: dict[str, dict[str, int]] = {
    "okta-default": {},
    # Real orgs recorded in 2026 (okta/okta-sdk-python cassettes, FACTS.md §8): users list/get and
    # schemas answer X-Rate-Limit-Limit 50, the org token endpoint 150.
    "real-2026": {"users_list": 50, "users_get": 50, "schemas": 50, "token": 150},
}


@dataclass(frozen=True, slots=True)
class RateLimitStatus:
    """The state of one bucket after a request was counted (or refused)."""

    family: str
    allowed: bool
    limit: int
    remaining: int
    reset_epoch: int

    @property
    def bucket(self) -> str:
        """The bucket's name (``family`` is its former name)."""
        return self.family


def rate_limit_buckets(method: str, path: str) -> tuple[str, ...]:
    """The buckets a request counts against, most specific first (empty: not rate limited)."""
    if path == "/api/v1/users" and method == "GET":
        return ("users_list",)
    if path.startswith("/api/v1/users/"):
        return ("users_get",)
    if path.startswith("/api/v1/"):
        return ("schemas",)
    if path == "/oauth2/v1/token":
        return ("token", "oauth2")
    if path.startswith("/oauth2/v1/authorize") or path == "/login/signin":
        return ("authorize", "oauth2")
    if path.startswith(("/oauth2/", "/.well-known/", "/login/")):
        return ("oauth2",)
    return ()


def rate_limit_family(method: str, path: str) -> str | None:
    """The most specific bucket a request counts against (``None``: not rate limited)."""
    buckets = rate_limit_buckets(method, path)
    return buckets[0] if buckets else None


def check_rate_limits(limits: Mapping[str, object]) -> dict[str, int]:
    """``limits`` as ``{bucket: per_minute}``; ``ValueError`` naming an unknown bucket or a bad number."""
    checked: dict[str, int] = {}
    for name, value in limits.items():
        if name not in RATE_LIMIT_BUCKETS:
            raise ValueError(
                f"Unknown rate-limit bucket (family) {name!r}; expected one of {sorted(RATE_LIMIT_BUCKETS)}"
            )
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(f"The limit of {name!r} must be a whole number, not {value!r}")
        try:
            per_minute = int(value)
        except ValueError:
            raise ValueError(f"The limit of {name!r} must be a whole number, not {value!r}") from None
        if per_minute < 0:
            raise ValueError(f"The limit of {name!r} (per_minute) must be >= 0")
        checked[name] = per_minute
    return checked


def preset_limits(name: str) -> dict[str, int]:
    """Every bucket's limit under preset ``name``; ``ValueError`` for an unknown preset."""
    if name not in RATE_LIMIT_PRESETS:
        raise ValueError(f"Unknown rate-limit preset {name!r}; expected one of {sorted(RATE_LIMIT_PRESETS)}")
    return {**DEFAULT_RATE_LIMITS, **RATE_LIMIT_PRESETS[name]}


class LimitsMixin(SandboxCore):
    """Configured limits and the current minute's counts."""

    _rate_limits: dict[str, int]
    _buckets: dict[str, tuple[int, int]]

    def _init_limits(self) -> None:
        self._rate_limits = dict(DEFAULT_RATE_LIMITS)
        self._buckets = {}

    def set_rate_limit(self, family: str, per_minute: int) -> None:
        """Set one bucket's per-minute limit (bucket names: :data:`BUCKETS`, ``ValueError`` otherwise)."""
        self.set_rate_limits({family: per_minute})

    def set_rate_limits(self, limits: Mapping[str, int]) -> dict[str, int]:
        """Set several buckets at once (all or none: every name and value is checked first).

        Returns every bucket's limit. Counts in the current minute are kept.
        """
        checked = check_rate_limits(limits)
        with self._lock:
            self._rate_limits.update(checked)
            self._changed("sandbox.rate_limits.change", buckets=sorted(checked))
            return dict(self._rate_limits)

    def apply_rate_limit_preset(self, name: str) -> dict[str, int]:
        """Set every bucket to preset ``name`` (e.g. ``"real-2026"``: see :data:`RATE_LIMIT_PRESETS`)."""
        limits = preset_limits(name)
        with self._lock:
            self._rate_limits = limits
            self._changed("sandbox.rate_limits.change", preset=name)
            return dict(limits)

    def rate_limits(self) -> dict[str, int]:
        """The current per-minute limit of each bucket."""
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

    def consume_rate_limits(self, buckets: tuple[str, ...]) -> RateLimitStatus:
        """Count one request against every bucket in ``buckets``, or refuse it if any is empty.

        The status returned is the empty bucket's when refused, else the one with the fewest
        requests left (the most specific on a tie): the one the headers describe.
        """
        if not buckets:
            raise ValueError("consume_rate_limits needs at least one bucket")
        with self._lock:
            states = [(name, *self._bucket(name)) for name in buckets]
            for name, limit, window, used in states:
                if used >= limit:
                    return RateLimitStatus(name, False, limit, 0, window + 60)
            statuses = []
            for name, limit, window, used in states:
                self._buckets[name] = (window, used + 1)
                statuses.append(RateLimitStatus(name, True, limit, limit - used - 1, window + 60))
            return min(statuses, key=lambda status: status.remaining)

    def consume_rate_limit(self, family: str) -> RateLimitStatus:
        """Count one request against ``family``'s bucket (and its enclosing bucket, if any)."""
        parent = _PARENTS.get(family)
        return self.consume_rate_limits((family, parent) if parent else (family,))

    def peek_rate_limit(self, family: str) -> RateLimitStatus:
        """A bucket's state without counting a request."""
        with self._lock:
            limit, window, used = self._bucket(family)
            return RateLimitStatus(family, used < limit, limit, max(0, limit - used), window + 60)

    def rate_limit_status(self) -> dict[str, RateLimitStatus]:
        """Every bucket's state in the current minute, without counting a request."""
        return {name: self.peek_rate_limit(name) for name in DEFAULT_RATE_LIMITS}
