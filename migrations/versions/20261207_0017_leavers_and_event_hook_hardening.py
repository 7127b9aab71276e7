"""leavers and event hook hardening

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 23:00:00.000000

Tables of the sync area: the full-sync interval, targeted checks, event ids seen, shared debounce.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "okta_pending_user_checks",
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("external_id", name=op.f("pk_okta_pending_user_checks")),
    )
    op.create_index(
        op.f("ix_okta_pending_user_checks_requested_at"), "okta_pending_user_checks", ["requested_at"]
    )
    with op.batch_alter_table("sync_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("full_sync_interval_hours", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("checks_window_started_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("checks_in_window", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("sync_state", schema=None) as batch_op:
        batch_op.drop_column("checks_in_window")
        batch_op.drop_column("checks_window_started_at")
        batch_op.drop_column("full_sync_interval_hours")
    op.drop_index(op.f("ix_okta_pending_user_checks_requested_at"), table_name="okta_pending_user_checks")
    op.drop_table("okta_pending_user_checks")
