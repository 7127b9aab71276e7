"""Tables of the fields area (each change comes with an Alembic migration).

A smart field is a named placeholder (`{{ job_title }}`) filled for each teammate either from an
attribute of the teammate's Okta profile or from a value kept in Signet (`SmartFieldValue`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from webapp.db import timestamp_field

KEY_MAX_LENGTH = 40
LABEL_MAX_LENGTH = 100
ATTRIBUTE_MAX_LENGTH = 100  # SourceAttribute.name
FALLBACK_MAX_LENGTH = 200
SEPARATOR_MAX_LENGTH = 10
VALUE_MAX_LENGTH = 500  # a formatted value, and a value kept in Signet
DEFAULT_REGION = "US"
DEFAULT_SEPARATOR = ", "


class FieldSource(StrEnum):
    """Where a field's value comes from."""

    OKTA = "okta"  # an attribute of the teammate's Okta profile: read-only in Signet
    SIGNET = "signet"  # a value an admin keeps in Signet, per teammate


class EnumDisplay(StrEnum):
    """How a value Okta's schema names (`oneOf`: const and title) is shown: "ONE" or "Option one"."""

    TITLE = "title"  # the schema's title for the value (the default)
    VALUE = "value"  # the value as Okta stores it


class FieldFormat(StrEnum):
    """How a field's value is written out (`webapp.fields.formats`)."""

    TEXT = "text"
    TITLE_CASE = "title_case"
    UPPER = "upper"
    PHONE_INTERNATIONAL = "phone_international"
    PHONE_NATIONAL = "phone_national"
    PHONE_E164 = "phone_e164"
    URL = "url"
    EMAIL = "email"


# Database model: one smart field, in the admin's order (`position`).
class SmartField(SQLModel, table=True):
    __tablename__ = "smart_fields"
    __table_args__ = (UniqueConstraint("key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=KEY_MAX_LENGTH)  # [a-z][a-z0-9_]*, the placeholder's name
    label: str = Field(max_length=LABEL_MAX_LENGTH)
    source: str = Field(default=FieldSource.OKTA, max_length=16)  # a FieldSource
    # The Okta attribute's name (`title`, `linkedIn`); "" for a field kept in Signet.
    attribute: str = Field(default="", max_length=ATTRIBUTE_MAX_LENGTH)
    fallback: str = Field(default="", max_length=FALLBACK_MAX_LENGTH)
    format: str = Field(default=FieldFormat.TEXT, max_length=32)  # a FieldFormat
    # ISO 3166 region numbers without a +country code are read in (phone formats only).
    phone_region: str = Field(default=DEFAULT_REGION, max_length=2)
    list_separator: str = Field(default=DEFAULT_SEPARATOR, max_length=SEPARATOR_MAX_LENGTH)
    # Values Okta's schema titles (`oneOf`) shown by title or as stored (Okta fields only).
    enum_display: str = Field(default=EnumDisplay.TITLE, max_length=16)  # an EnumDisplay
    position: int = Field(default=0)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


# Database model: a value kept in Signet for one field and one teammate (fields whose source is Signet).
class SmartFieldValue(SQLModel, table=True):
    __tablename__ = "smart_field_values"
    __table_args__ = (UniqueConstraint("field_id", "teammate_id"),)

    id: int | None = Field(default=None, primary_key=True)
    field_id: int = Field(foreign_key="smart_fields.id", ondelete="CASCADE")
    teammate_id: int = Field(foreign_key="teammates.id", index=True)
    value: str = Field(default="", max_length=VALUE_MAX_LENGTH)
    updated_at: datetime = timestamp_field()


# Database model: each default field Signet has offered once (created), so a default the admin
# deleted is never created again by a later schema refresh.
class SmartFieldDefault(SQLModel, table=True):
    __tablename__ = "smart_field_defaults"

    key: str = Field(primary_key=True, max_length=KEY_MAX_LENGTH)
    created_at: datetime = timestamp_field()
