"""rendered signatures and history

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 20:00:00.000000

Tables of the `signatures` area: each teammate's current rendered signature, the history of its
changes (with why), and published templates that failed to render.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("teammate_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("rendered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("missing_fields", sa.JSON(), nullable=False),
        sa.Column("missing_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["teammate_id"], ["teammates.id"], name=op.f("fk_signatures_teammate_id_teammates")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signatures")),
        sa.UniqueConstraint("teammate_id", name=op.f("uq_signatures_teammate_id")),
    )
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signatures_template_id"), ["template_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_signatures_missing_count"), ["missing_count"], unique=False)

    op.create_table(
        "signature_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("teammate_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("template_version", sa.Integer(), nullable=True),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("previous_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("cause", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["teammate_id"], ["teammates.id"], name=op.f("fk_signature_changes_teammate_id_teammates")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signature_changes")),
    )
    with op.batch_alter_table("signature_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signature_changes_changed_at"), ["changed_at"], unique=False)
        batch_op.create_index(
            "ix_signature_changes_teammate_id_changed_at", ["teammate_id", "changed_at"], unique=False
        )

    op.create_table(
        "signature_render_errors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("message", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("teammate_count", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signature_render_errors")),
        sa.UniqueConstraint("template_id", name=op.f("uq_signature_render_errors_template_id")),
    )


def downgrade() -> None:
    """Revert this migration."""
    op.drop_table("signature_render_errors")
    with op.batch_alter_table("signature_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_signature_changes_teammate_id_changed_at")
        batch_op.drop_index(batch_op.f("ix_signature_changes_changed_at"))
    op.drop_table("signature_changes")
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signatures_missing_count"))
        batch_op.drop_index(batch_op.f("ix_signatures_template_id"))
    op.drop_table("signatures")
