"""Tables of the signature_templates area (each change comes with an Alembic migration)."""

from __future__ import annotations
