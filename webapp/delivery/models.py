"""Tables of the delivery area: teammates' private signature links and the export API's tokens."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from webapp.db import timestamp_field

# sha256 hex digests.
DIGEST_LENGTH = 64
# A Fernet token for a 43-character link token is about 140 characters; room for a longer key format.
CIPHERTEXT_LENGTH = 500


# Database model: a teammate's private link to the page with their current signature. One per
# teammate: regenerating replaces the token in place (the old link dies), revoking deletes the row.
class PrivateLink(SQLModel, table=True):
    __tablename__ = "private_links"

    id: int | None = Field(default=None, primary_key=True)
    teammate_id: int = Field(foreign_key="teammates.id", unique=True, ondelete="CASCADE")
    # SHA-256 of the link's token: the page finds the link by it (an indexed equality, so a guess
    # learns nothing from the timing). The token is 256 random bits: no salt or key is needed.
    token_digest: str = Field(max_length=DIGEST_LENGTH, unique=True)
    # The token itself, encrypted with the instance's key (webapp.crypto), so the admin can copy the
    # link again; a copy of the database alone opens no page.
    token_ciphertext: str = Field(max_length=CIPHERTEXT_LENGTH)
    created_at: datetime = timestamp_field()
    created_by: str | None = Field(default=None, max_length=254)  # the admin's email


# Database model: a bearer token for the export API (`/api/v1/signatures`), created and revoked by
# an admin in Settings. The token is shown once; only its SHA-256 is kept.
class ApiToken(SQLModel, table=True):
    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    # The token's first characters ("sgt_AbCd1234"), shown so the admin can tell tokens apart.
    prefix: str = Field(max_length=16)
    token_hash: str = Field(max_length=DIGEST_LENGTH, unique=True)
    created_at: datetime = timestamp_field()
    created_by: str | None = Field(default=None, max_length=254)
    last_used_at: datetime | None = timestamp_field(nullable=True)
    revoked_at: datetime | None = timestamp_field(nullable=True)
