"""smart fields

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 20:00:00.000000

Tables of the `fields` area.
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401 - used once the area's tables are added
import sqlmodel  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""


def downgrade() -> None:
    """Revert this migration."""
