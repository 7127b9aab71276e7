"""Signals the teammates area sends so higher areas (smart fields, signatures) can react without the
sync engine knowing about them (imports flow one way: teammates, sync -> fields -> signatures).

Every signal is sent after the change it announces is committed, with the Flask app as sender.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Kwargs: `teammate_ids: frozenset[int]` (created, updated, deactivated, reactivated or removed) and
# `sync_run_id: int | None`. The `TeammateChange` rows of that run say what changed.
teammates_changed = _signals.signal("signet.teammates-changed")

# Kwargs: `source: str`. A source's attribute schema was stored (after a full sync or on demand).
schema_refreshed = _signals.signal("signet.schema-refreshed")
