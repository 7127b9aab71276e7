"""Signals the signatures area sends, so delivery (the private page, the export) can react.

Sent after the change is committed, with the Flask app as sender.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Kwargs: `teammate_ids: frozenset[int]`: teammates whose signature appeared, changed or was removed.
signatures_changed = _signals.signal("signet.signatures-changed")
