"""Signals the rules area sends so higher areas (signatures) re-render without rules knowing them.

Sent after the change it announces is committed, with the Flask app as sender.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Kwargs: `teammate_ids: frozenset[int] | None`: the teammates whose assignment (template, reason or
# rule) changed, computed from the rules before and after; None when anyone may be affected.
rules_changed = _signals.signal("signet.rules-changed")
