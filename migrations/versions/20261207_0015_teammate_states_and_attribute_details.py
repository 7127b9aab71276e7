"""teammate states and attribute details

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 23:00:00.000000

Tables of the teammates area: three teammate states, Okta's transitioningToStatus, schema details.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("source_attributes") as batch_op:
        batch_op.add_column(sa.Column("details", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("source_attributes") as batch_op:
        batch_op.drop_column("details")
