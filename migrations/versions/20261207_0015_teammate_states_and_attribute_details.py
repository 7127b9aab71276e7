"""teammate states and attribute details

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 23:00:00.000000

Tables of the teammates area: three teammate states, Okta's transitioningToStatus, schema details.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("source_attributes") as batch_op:
        batch_op.add_column(sa.Column("details", sa.JSON(), nullable=False, server_default="{}"))
    _add_states()
    op.create_table(
        "assignment_source_settings",
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("sign_not_yet_active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_assignment_source_settings")),
    )


def _add_states() -> None:
    """Three teammate states instead of a boolean, filled from what is stored: a record is not yet
    active when Okta said STAGED, inactive when it was not active; a teammate is inactive when it
    was not active, not yet active when its live records are not yet active and none is active."""
    with op.batch_alter_table("source_records") as batch_op:
        batch_op.add_column(
            sa.Column(
                "state",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="active",
            )
        )
        batch_op.add_column(
            sa.Column("transitioning_to_status", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
    with op.batch_alter_table("teammates") as batch_op:
        batch_op.add_column(
            sa.Column(
                "state",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="active",
            )
        )
        batch_op.create_index(batch_op.f("ix_teammates_state"), ["state"], unique=False)
    op.execute(
        "UPDATE source_records SET state = CASE "
        "WHEN NOT active THEN 'inactive' "
        "WHEN source = 'okta' AND status = 'STAGED' THEN 'not_yet_active' "
        "ELSE 'active' END"
    )
    op.execute("UPDATE teammates SET state = 'inactive' WHERE NOT active")
    op.execute(
        "UPDATE teammates SET state = 'not_yet_active' WHERE active "
        "AND EXISTS (SELECT 1 FROM source_records r WHERE r.teammate_id = teammates.id "
        "AND r.removed_at IS NULL AND r.state = 'not_yet_active') "
        "AND NOT EXISTS (SELECT 1 FROM source_records r WHERE r.teammate_id = teammates.id "
        "AND r.removed_at IS NULL AND r.state = 'active')"
    )


def downgrade() -> None:
    """Revert this migration."""
    op.drop_table("assignment_source_settings")
    with op.batch_alter_table("teammates") as batch_op:
        batch_op.drop_index(batch_op.f("ix_teammates_state"))
        batch_op.drop_column("state")
    with op.batch_alter_table("source_records") as batch_op:
        batch_op.drop_column("transitioning_to_status")
        batch_op.drop_column("state")
    with op.batch_alter_table("source_attributes") as batch_op:
        batch_op.drop_column("details")
