"""okta event hooks

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-28 20:00:00.000000

Tables of the `sync` area.
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401 - used once the area's tables are added
import sqlmodel  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""


def downgrade() -> None:
    """Revert this migration."""
