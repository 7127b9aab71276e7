"""smart field enum display

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 23:00:00.000000

Tables of the fields area: show an enum value as stored or by its title.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration: existing fields show titles (the default), as new ones do."""
    with op.batch_alter_table("smart_fields") as batch_op:
        batch_op.add_column(
            sa.Column(
                "enum_display",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="title",
            )
        )


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("smart_fields") as batch_op:
        batch_op.drop_column("enum_display")
