"""Signals the templates area sends so higher areas (signatures) can react without being imported.

Every signal is sent after the change it announces is committed, with the Flask app as sender.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Kwargs: `template_id: int`, `version: int` (the number just published). Teammates assigned to the
# template should now get that version.
template_published = _signals.signal("signet.template-published")
