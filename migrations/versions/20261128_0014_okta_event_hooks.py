"""okta event hooks

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-28 20:00:00.000000

Tables of the `sync` area: Signet's end of the Okta event hook (the secret header, encrypted, and
what was last delivered).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "okta_event_hooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("header_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("secret_encrypted", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_event_types", sa.JSON(), nullable=False),
        sa.Column("accepted_count", sa.Integer(), nullable=False),
        sa.Column("refused_count", sa.Integer(), nullable=False),
        sa.Column("last_refused_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_okta_event_hooks")),
    )


def downgrade() -> None:
    """Revert this migration."""
    op.drop_table("okta_event_hooks")
