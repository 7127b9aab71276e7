"""Injected faults: errors, 429s, latency, dropped connections and truncated JSON.

The server (:mod:`okta_sandbox.server`) applies them; the control API is never affected.
"""

from __future__ import annotations

from dataclasses import replace

from okta_sandbox.core import SandboxCore
from okta_sandbox.models import Fault

FAULT_KINDS = frozenset({"http_error", "rate_limit", "latency", "drop", "malformed_json"})


class FaultsMixin(SandboxCore):
    """A first-in, first-out queue of faults waiting for matching requests."""

    _faults: list[Fault]

    def _init_faults(self) -> None:
        self._faults = []

    def inject_fault(
        self,
        kind: str,
        *,
        count: int = 1,
        path_prefix: str | None = None,
        status: int | None = None,
        latency_seconds: float = 0.0,
    ) -> None:
        """Make the next ``count`` requests (whose path starts with ``path_prefix``, if given) fail.

        Kinds: ``http_error`` (``status`` 500 default, or 503), ``rate_limit`` (429 E0000047),
        ``latency`` (sleep ``latency_seconds`` of real time, then answer normally), ``drop``
        (close the connection without a response), ``malformed_json`` (a 200 whose JSON body is
        cut in half). Faults queue in order; the control API is never affected.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"Unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        if kind == "http_error" and status not in (None, 500, 502, 503, 504):
            raise ValueError("http_error status must be 500, 502, 503 or 504")
        if count < 1:
            raise ValueError("count must be >= 1")
        with self._lock:
            self._faults.append(Fault(kind, count, path_prefix, status, latency_seconds))

    def take_fault(self, path: str) -> Fault | None:
        """Consume one use of the first queued fault matching ``path`` (used by the server)."""
        with self._lock:
            for fault in self._faults:
                if fault.path_prefix is None or path.startswith(fault.path_prefix):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return replace(fault)
            return None

    def clear_faults(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._faults.clear()

    def pending_faults(self) -> list[Fault]:
        """Copies of the queued faults."""
        with self._lock:
            return [replace(fault) for fault in self._faults]
