"""teammates, source records, change history, source attributes, sync runs, sync state, holds

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 18:27:07.010127

The sync engine's tables (issue 10): teammates and what each source says about them, the history of
their changes, the attributes of each source's schema, and the sync runs, state and mass-change holds.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "source_attributes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("custom", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_attributes")),
        sa.UniqueConstraint("source", "name", name=op.f("uq_source_attributes_source")),
    )
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("trigger", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("users_processed", sa.Integer(), nullable=False),
        sa.Column("api_requests", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("deactivated", sa.Integer(), nullable=False),
        sa.Column("reactivated", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.Column("rate_limit_waits", sa.Integer(), nullable=False),
        sa.Column("rate_limit_wait_seconds", sa.Float(), nullable=False),
        sa.Column("waiting_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("watermark_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("max_source_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_runs")),
    )
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.create_index("ix_sync_runs_source_started_at", ["source", "started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_sync_runs_status"), ["status"], unique=False)

    op.create_table(
        "sync_state",
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("poll_interval_minutes", sa.Integer(), nullable=True),
        sa.Column("watermark", sa.DateTime(timezone=True), nullable=True),
        sa.Column("watermark_slack_seconds", sa.Float(), nullable=False),
        sa.Column("last_full_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_full_sync_run_id", sa.Integer(), nullable=True),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lock_owner", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("lock_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lock_run_id", sa.Integer(), nullable=True),
        sa.Column("full_sync_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_sync_state")),
    )
    op.create_table(
        "teammates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teammates")),
    )
    with op.batch_alter_table("teammates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_teammates_active"), ["active"], unique=False)
        batch_op.create_index(batch_op.f("ix_teammates_email"), ["email"], unique=False)

    op.create_table(
        "source_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("teammate_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["teammate_id"], ["teammates.id"], name=op.f("fk_source_records_teammate_id_teammates")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_records")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_source_records_source")),
    )
    with op.batch_alter_table("source_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_source_records_teammate_id"), ["teammate_id"], unique=False)

    op.create_table(
        "sync_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("sync_run_id", sa.Integer(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deactivate_count", sa.Integer(), nullable=False),
        sa.Column("remove_count", sa.Integer(), nullable=False),
        sa.Column("active_teammates", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_admin_id", sa.Integer(), nullable=True),
        sa.Column("applied_count", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["resolved_by_admin_id"],
            ["admin_users.id"],
            name=op.f("fk_sync_holds_resolved_by_admin_id_admin_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sync_run_id"],
            ["sync_runs.id"],
            name=op.f("fk_sync_holds_sync_run_id_sync_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_holds")),
    )
    with op.batch_alter_table("sync_holds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_holds_status"), ["status"], unique=False)

    op.create_table(
        "sync_hold_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hold_id", sa.Integer(), nullable=False),
        sa.Column("teammate_id", sa.Integer(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("records_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["hold_id"],
            ["sync_holds.id"],
            name=op.f("fk_sync_hold_items_hold_id_sync_holds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["teammate_id"], ["teammates.id"], name=op.f("fk_sync_hold_items_teammate_id_teammates")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_hold_items")),
    )
    with op.batch_alter_table("sync_hold_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sync_hold_items_hold_id_teammate_id", ["hold_id", "teammate_id"], unique=True
        )
        batch_op.create_index(batch_op.f("ix_sync_hold_items_teammate_id"), ["teammate_id"], unique=False)

    op.create_table(
        "teammate_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("teammate_id", sa.Integer(), nullable=False),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.Column("sync_run_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("status_from", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("status_to", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_record_id"],
            ["source_records.id"],
            name=op.f("fk_teammate_changes_source_record_id_source_records"),
        ),
        sa.ForeignKeyConstraint(
            ["sync_run_id"],
            ["sync_runs.id"],
            name=op.f("fk_teammate_changes_sync_run_id_sync_runs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["teammate_id"], ["teammates.id"], name=op.f("fk_teammate_changes_teammate_id_teammates")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teammate_changes")),
    )
    with op.batch_alter_table("teammate_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_teammate_changes_sync_run_id"), ["sync_run_id"], unique=False)
        batch_op.create_index(
            "ix_teammate_changes_teammate_id_changed_at", ["teammate_id", "changed_at"], unique=False
        )


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("teammate_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_teammate_changes_teammate_id_changed_at")
        batch_op.drop_index(batch_op.f("ix_teammate_changes_sync_run_id"))

    op.drop_table("teammate_changes")
    with op.batch_alter_table("sync_hold_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_hold_items_teammate_id"))
        batch_op.drop_index("ix_sync_hold_items_hold_id_teammate_id")

    op.drop_table("sync_hold_items")
    with op.batch_alter_table("sync_holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_holds_status"))

    op.drop_table("sync_holds")
    with op.batch_alter_table("source_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_records_teammate_id"))

    op.drop_table("source_records")
    with op.batch_alter_table("teammates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_teammates_email"))
        batch_op.drop_index(batch_op.f("ix_teammates_active"))

    op.drop_table("teammates")
    op.drop_table("sync_state")
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_runs_status"))
        batch_op.drop_index("ix_sync_runs_source_started_at")

    op.drop_table("sync_runs")
    op.drop_table("source_attributes")
