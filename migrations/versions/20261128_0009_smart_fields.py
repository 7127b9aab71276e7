"""smart fields

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 20:00:00.000000

Tables of the `fields` area: smart fields, the values kept in Signet per teammate, and which
default fields were already offered.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "smart_fields",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attribute", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("fallback", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("format", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("phone_region", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("list_separator", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smart_fields")),
        sa.UniqueConstraint("key", name=op.f("uq_smart_fields_key")),
    )
    op.create_table(
        "smart_field_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.Column("teammate_id", sa.Integer(), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["field_id"],
            ["smart_fields.id"],
            name=op.f("fk_smart_field_values_field_id_smart_fields"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["teammate_id"], ["teammates.id"], name=op.f("fk_smart_field_values_teammate_id_teammates")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smart_field_values")),
        sa.UniqueConstraint("field_id", "teammate_id", name=op.f("uq_smart_field_values_field_id")),
    )
    with op.batch_alter_table("smart_field_values", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_smart_field_values_teammate_id"), ["teammate_id"], unique=False)
    op.create_table(
        "smart_field_defaults",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_smart_field_defaults")),
    )


def downgrade() -> None:
    """Revert this migration."""
    op.drop_table("smart_field_defaults")
    with op.batch_alter_table("smart_field_values", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_smart_field_values_teammate_id"))
    op.drop_table("smart_field_values")
    op.drop_table("smart_fields")
