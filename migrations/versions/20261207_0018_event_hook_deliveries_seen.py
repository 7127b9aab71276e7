"""event hook deliveries seen

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 23:00:00.000000

Tables of the sync area: Okta event ids already handled, and the debounce shared by every process.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "okta_event_hook_events_seen",
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_okta_event_hook_events_seen")),
    )
    op.create_index(
        op.f("ix_okta_event_hook_events_seen_seen_at"), "okta_event_hook_events_seen", ["seen_at"]
    )
    column = sa.Column("last_hook_sync_at", sa.DateTime(timezone=True), nullable=True)
    op.add_column("okta_event_hooks", column)


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("okta_event_hooks") as batch:
        batch.drop_column("last_hook_sync_at")
    op.drop_index(op.f("ix_okta_event_hook_events_seen_seen_at"), table_name="okta_event_hook_events_seen")
    op.drop_table("okta_event_hook_events_seen")
