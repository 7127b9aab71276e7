"""oauth attempts keep only hashes of state and nonce

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 19:00:00.000000

Attempts live ten minutes and can't be converted (a hash can't be turned back into the value the
callback will carry, and the old clear values are exactly what must go), so they are deleted: an
admin in the middle of "Connect Okta" during the upgrade clicks it again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.execute("DELETE FROM oauth_attempts")
    with op.batch_alter_table("oauth_attempts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_oauth_attempts_state"), type_="unique")
        batch_op.drop_column("state")
        batch_op.drop_column("nonce")
        batch_op.add_column(
            sa.Column("state_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)
        )
        batch_op.add_column(
            sa.Column("nonce_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)
        )
        batch_op.create_unique_constraint(batch_op.f("uq_oauth_attempts_state_hash"), ["state_hash"])


def downgrade() -> None:
    """Revert this migration (in-flight attempts are dropped again)."""
    op.execute("DELETE FROM oauth_attempts")
    with op.batch_alter_table("oauth_attempts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_oauth_attempts_state_hash"), type_="unique")
        batch_op.drop_column("nonce_hash")
        batch_op.drop_column("state_hash")
        batch_op.add_column(sa.Column("nonce", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False))
        batch_op.add_column(sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False))
        batch_op.create_unique_constraint(batch_op.f("uq_oauth_attempts_state"), ["state"])
