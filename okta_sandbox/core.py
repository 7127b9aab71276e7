"""The plumbing every area of the sandbox shares: one lock, the clock, the seeded rng, the origin.

:class:`okta_sandbox.OktaSandbox` is composed of one mixin per area, each in its own module and
each built on the areas it needs (a call only ever goes *down* this chain)::

    SandboxCore
    ├── SchemaMixin (schemas_api) ── UsersMixin (users_api) ──┐
    ├── AppsMixin (apps) ─────────────────────────────────────┴── TokensMixin (tokens) ──┐
    ├── DPoPMixin (dpop) ─────────────────────────────────────────────────────────────────┴── OAuthServerMixin
    ├── LimitsMixin (limits)            OAuthServerMixin + LimitsMixin ── StateFileMixin (persistence)
    └── FaultsMixin (faults), RequestLogMixin (request_log)
    OktaSandbox (sandbox) = StateFileMixin + FaultsMixin + RequestLogMixin

Effects that go *up* the chain (a deactivated user loses its sessions and tokens) use hooks
defined here, such as :meth:`SandboxCore._on_user_disabled`. Every change of state is announced
through :meth:`SandboxCore._changed` with an Okta System Log event type where one exists; the
state file listens to it, and event hooks would too.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from okta_sandbox.clock import SandboxClock

Listener = Callable[[str, dict[str, Any]], None]


class SandboxCore:
    """The lock, clock, seeded rng and origin shared by every area, plus change notifications."""

    _lock: threading.RLock
    clock: SandboxClock
    seed: int
    _rng: random.Random
    _origin: str
    _listeners: list[Listener]

    def _init_core(self, *, seed: int, origin: str) -> None:
        self._lock = threading.RLock()
        self.clock = SandboxClock()
        self.seed = seed
        self._rng = random.Random(seed)
        self._origin = origin.rstrip("/")
        self._listeners = []

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(event_type, target)`` after every change of state.

        ``event_type`` is an Okta System Log event type where one exists (``user.lifecycle.create``,
        ``app.oauth2.token.grant.refresh_token``...), else a ``sandbox.*`` name. Listeners run
        under the sandbox lock, so they must be quick and must not call back into the sandbox.
        """
        with self._lock:
            self._listeners.append(listener)

    def _changed(self, event: str, **target: Any) -> None:
        """Announce a change of state to every listener (the caller holds the lock)."""
        for listener in self._listeners:
            listener(event, target)

    def _on_user_disabled(self, user_id: str) -> None:
        """Hook: the user was deactivated, suspended or deleted (areas above drop its sessions/tokens)."""

    def _stamp(self) -> datetime:
        """The sandbox time as Okta stamps records: whole seconds, served as ``...:SS.000Z``.

        Real responses always show ``.000Z`` (FACTS.md §2, §8). Stamping at the precision that
        is served keeps ``lastUpdated gt "<a user's own lastUpdated>"`` from matching that user.
        """
        return self.clock.now().replace(microsecond=0)
