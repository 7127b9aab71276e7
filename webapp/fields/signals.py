"""Signals the fields area sends so higher areas (signatures) can re-render without being imported here.

Sent after the change it announces is committed, with the Flask app as sender.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Kwargs: `field_keys: frozenset[str]` (fields created, edited, deleted, or whose kept values changed)
# and `teammate_ids: frozenset[int] | None` (the teammates whose values changed; None = everyone).
fields_changed = _signals.signal("signet.fields-changed")
