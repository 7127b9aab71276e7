"""source records indexed by active and removed_at

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 18:53:36.619509

The end of every sync looks for teammates due to become inactive among the owners of records that
are inactive or removed: these indexes find those few records without scanning them all.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("source_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_source_records_active"), ["active"], unique=False)
        batch_op.create_index(batch_op.f("ix_source_records_removed_at"), ["removed_at"], unique=False)


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("source_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_records_removed_at"))
        batch_op.drop_index(batch_op.f("ix_source_records_active"))
