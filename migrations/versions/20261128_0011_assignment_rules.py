"""assignment rules

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 20:00:00.000000

Tables of the `rules` area (issue 12): ordered assignment rules, the default template (one row) and
manual assignments of one teammate's template.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "assignment_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["signature_templates.id"],
            name=op.f("fk_assignment_rules_template_id_signature_templates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_rules")),
    )
    with op.batch_alter_table("assignment_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignment_rules_template_id"), ["template_id"], unique=False)

    op.create_table(
        "assignment_default",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["signature_templates.id"],
            name=op.f("fk_assignment_default_template_id_signature_templates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_default")),
    )
    op.create_table(
        "manual_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("teammate_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.ForeignKeyConstraint(
            ["teammate_id"], ["teammates.id"], name=op.f("fk_manual_assignments_teammate_id_teammates")
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["signature_templates.id"],
            name=op.f("fk_manual_assignments_template_id_signature_templates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manual_assignments")),
        sa.UniqueConstraint("teammate_id", name=op.f("uq_manual_assignments_teammate_id")),
    )
    with op.batch_alter_table("manual_assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_manual_assignments_template_id"), ["template_id"], unique=False)


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("manual_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_manual_assignments_template_id"))

    op.drop_table("manual_assignments")
    op.drop_table("assignment_default")
    with op.batch_alter_table("assignment_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_rules_template_id"))

    op.drop_table("assignment_rules")
