"""Tables of the rules area (each change comes with an Alembic migration)."""

from __future__ import annotations
