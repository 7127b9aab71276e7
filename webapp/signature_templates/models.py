"""Tables of the signature_templates area (each change comes with an Alembic migration).

A template has one draft (what the editor saves) and numbered published versions; teammates only ever
get a published version. Images live in the database (not on disk) so SQLite and PostgreSQL
deployments need no shared filesystem, and are served at a content-addressed URL.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from webapp.db import timestamp_field

# Longest template source Signet keeps (the request guard refuses longer form values anyway).
MAX_TEMPLATE_LENGTH = 20_000
MAX_TEMPLATE_NAME_LENGTH = 100
EMAIL_LENGTH = 254


class TemplateStatus(StrEnum):
    """Where a template stands; templates read it (never retyped as literals)."""

    DRAFT = "draft"  # never published
    PUBLISHED = "published"  # the draft is the latest published version
    CHANGED = "changed"  # published, and the draft has unpublished changes

    @property
    def label(self) -> str:
        """How the list and the editor name the status."""
        return {"draft": "Draft", "published": "Published", "changed": "Unpublished changes"}[self.value]


# Database model: a signature template, its draft and who last edited it.
class SignatureTemplate(SQLModel, table=True):
    __tablename__ = "signature_templates"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=MAX_TEMPLATE_NAME_LENGTH, unique=True)
    draft_html: str = Field(default="", max_length=MAX_TEMPLATE_LENGTH)
    draft_updated_at: datetime = timestamp_field()
    # The admin's email as text, so the page still reads right if that admin is later removed.
    draft_updated_by: str = Field(default="", max_length=EMAIL_LENGTH)
    created_at: datetime = timestamp_field()
    # Archived templates leave the list; their published versions stay valid for existing assignments.
    archived_at: datetime | None = timestamp_field(nullable=True)


# Database model: one published version of a template (immutable once written).
class TemplateVersion(SQLModel, table=True):
    __tablename__ = "template_versions"
    __table_args__ = (UniqueConstraint("template_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    template_id: int = Field(foreign_key="signature_templates.id", index=True)
    number: int  # 1, 2, 3... per template
    html: str = Field(max_length=MAX_TEMPLATE_LENGTH)
    published_at: datetime = timestamp_field()
    published_by: str = Field(default="", max_length=EMAIL_LENGTH)


# Database model: an uploaded image (logo, banner, headshot), re-encoded, keyed by its SHA-256.
class ImageAsset(SQLModel, table=True):
    __tablename__ = "image_assets"

    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(max_length=64, unique=True)  # sha256 hex of `data`
    content_type: str = Field(max_length=32)  # image/png, image/jpeg, image/gif
    extension: str = Field(max_length=8)  # png, jpg, gif
    width: int
    height: int
    size: int  # bytes of `data`
    data: bytes = Field(sa_type=LargeBinary)
    filename: str = Field(default="", max_length=200)  # as uploaded, cleaned; for the admin only
    uploaded_by: str = Field(default="", max_length=EMAIL_LENGTH)
    created_at: datetime = timestamp_field()
