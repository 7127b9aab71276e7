"""okta dpop key and token type

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 18:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("oauth_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dpop_key_ciphertext", sa.Text(), nullable=True))
    with op.batch_alter_table("okta_connections", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "token_type",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                server_default="Bearer",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("dpop_key_ciphertext", sa.Text(), nullable=True))


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("okta_connections", schema=None) as batch_op:
        batch_op.drop_column("dpop_key_ciphertext")
        batch_op.drop_column("token_type")
    with op.batch_alter_table("oauth_attempts", schema=None) as batch_op:
        batch_op.drop_column("dpop_key_ciphertext")
