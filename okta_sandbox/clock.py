"""A controllable clock, so tests can expire codes and tokens without sleeping."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class SandboxClock:
    """Real UTC time plus an offset, or a frozen instant.

    Every time-dependent rule in the sandbox (code and token expiry, refresh leeway,
    rate-limit windows, ``lastUpdated``) reads this clock, never ``datetime.now``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frozen: datetime | None = None
        self._offset = timedelta()

    def now(self) -> datetime:
        """Return the sandbox's current time (UTC, timezone-aware), to the millisecond.

        Okta's timestamps carry milliseconds (REF-CORE). Stamping records at a finer precision
        than is served would make ``lastUpdated gt "<a user's own lastUpdated>"`` match that user.
        """
        with self._lock:
            instant = self._frozen if self._frozen is not None else datetime.now(UTC) + self._offset
        return instant.replace(microsecond=instant.microsecond // 1000 * 1000)

    def freeze(self, at: datetime | None = None) -> datetime:
        """Stop the clock at ``at`` (default: the current sandbox time) and return that instant."""
        instant = self.now() if at is None else _as_utc(at)
        with self._lock:
            self._frozen = instant
        return instant

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward (frozen or not) by ``seconds`` and return the new time."""
        with self._lock:
            step = timedelta(seconds=seconds)
            if self._frozen is not None:
                self._frozen += step
            else:
                self._offset += step
        return self.now()

    def unfreeze(self) -> None:
        """Let the clock run again from the frozen instant (the offset keeps it continuous)."""
        with self._lock:
            if self._frozen is not None:
                self._offset = self._frozen - datetime.now(UTC)
                self._frozen = None

    @property
    def frozen(self) -> bool:
        """Whether the clock is currently frozen."""
        with self._lock:
            return self._frozen is not None


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def okta_timestamp(value: datetime) -> str:
    """Format ``value`` the way Okta does: ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (REF-CORE)."""
    # isoformat is several times faster than strftime, which matters when serialising 100k users.
    text = _as_utc(value).isoformat(timespec="milliseconds")
    return text[:-6] + "Z"  # "+00:00" -> "Z"


def parse_okta_timestamp(text: str) -> datetime:
    """Parse an ISO-8601 timestamp as sent in ``search``/``filter`` (``Z`` or an offset, millis optional)."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    return _as_utc(parsed)
