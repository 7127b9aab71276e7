"""Tables of the signatures area: each teammate's current rendered signature, its history, and
templates that failed to render (each change comes with an Alembic migration).

A teammate who gets no signature (inactive, or no rule, manual assignment or default gives them one)
has no `Signature` row. `SignatureChange` rows are written only when what the teammate would paste
changes: the content hash differs, or the signature appears or disappears.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Text
from sqlmodel import Field, SQLModel

from webapp.db import timestamp_field

HASH_LENGTH = 64  # sha256 hex
MESSAGE_MAX_LENGTH = 500


class CauseKind(StrEnum):
    """Why signatures were re-rendered (stored in `SignatureChange.cause["kind"]`)."""

    OKTA = "okta"  # the teammate's Okta record changed (a sync)
    TEMPLATE = "template"  # a template version was published
    RULE = "rule"  # assignment rules, the default or a manual assignment changed
    FIELD = "field"  # a smart field's definition or a value kept in Signet changed
    MANUAL = "manual"  # an admin asked for every signature to be rendered again
    INITIAL = "initial"  # first render (no earlier event to name)


# Database model: the signature a teammate has now (one row per teammate with a signature).
class Signature(SQLModel, table=True):
    __tablename__ = "signatures"

    id: int | None = Field(default=None, primary_key=True)
    teammate_id: int = Field(foreign_key="teammates.id", unique=True)
    template_id: int = Field(index=True)
    template_version: int
    rule_id: int | None = Field(default=None)
    reason: str = Field(max_length=16)  # a rules AssignmentReason: rule, manual, default
    html: str = Field(sa_type=Text)
    text: str = Field(sa_type=Text)
    content_hash: str = Field(max_length=HASH_LENGTH)
    # When the content last changed (re-renders that give the same hash leave it alone).
    rendered_at: datetime = timestamp_field()
    # Smart-field keys the template uses whose own value is empty (a fallback or nothing was used).
    missing_fields: list[str] = Field(default_factory=list, sa_type=JSON)
    # len(missing_fields), so "teammates with missing data" is a plain indexed count in any database.
    missing_count: int = Field(default=0, index=True)


# Database model: one change of a teammate's signature, with what it became and why.
# `content_hash` is None when the signature was removed (html and text are then empty).
class SignatureChange(SQLModel, table=True):
    __tablename__ = "signature_changes"
    __table_args__ = (Index("ix_signature_changes_teammate_id_changed_at", "teammate_id", "changed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    teammate_id: int = Field(foreign_key="teammates.id")
    changed_at: datetime = timestamp_field(index=True)
    template_id: int | None = Field(default=None)
    template_version: int | None = Field(default=None)
    rule_id: int | None = Field(default=None)
    reason: str = Field(max_length=16)  # a rules AssignmentReason (none/inactive when removed)
    html: str = Field(default="", sa_type=Text)
    text: str = Field(default="", sa_type=Text)
    content_hash: str | None = Field(default=None, max_length=HASH_LENGTH)
    previous_hash: str | None = Field(default=None, max_length=HASH_LENGTH)
    # {"kind": CauseKind, ...details: Okta changes {attr: [old, new]}, template and rule names...}
    cause: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


# Database model: a published template version that could not be rendered (TemplateRefused).
# Teammates assigned to it keep their previous signature; the dashboard shows the row until that
# template renders again.
class SignatureRenderError(SQLModel, table=True):
    __tablename__ = "signature_render_errors"

    id: int | None = Field(default=None, primary_key=True)
    template_id: int = Field(unique=True)
    template_version: int
    message: str = Field(max_length=MESSAGE_MAX_LENGTH)
    teammate_count: int = Field(default=0)
    occurred_at: datetime = timestamp_field()
