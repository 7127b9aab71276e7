"""smart field enum display

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 23:00:00.000000

Tables of the fields area: show an enum value as stored or by its title.
"""

from collections.abc import Sequence

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""


def downgrade() -> None:
    """Revert this migration."""
