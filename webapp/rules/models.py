"""Tables of the rules area: ordered assignment rules, the default template, manual assignments.

Each change comes with an Alembic migration (`migrations/versions/20261128_0011_assignment_rules.py`).
Which teammate gets which template is computed from these rows by `webapp.rules.evaluate`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from webapp.db import timestamp_field

RULE_NAME_MAX_LENGTH = 100
ADMIN_EMAIL_MAX_LENGTH = 254
# The one row of `AssignmentDefault`.
DEFAULT_ROW_ID = 1


# Database model: one rule, "teammates whose fields match all these conditions get this template".
# Rules are tried in `position` order (1 first); the first that matches wins.
class AssignmentRule(SQLModel, table=True):
    __tablename__ = "assignment_rules"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=RULE_NAME_MAX_LENGTH)
    template_id: int = Field(foreign_key="signature_templates.id", index=True)
    position: int = Field(default=0)
    # [{"field": "department", "op": "is", "value": "Sales"},
    #  {"field": "title", "op": "is any of", "value": ["CEO", "CTO"]}]: all must hold (AND).
    conditions: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


# Database model: the template for everyone no rule matches (one row, id 1; None = no signature).
class AssignmentDefault(SQLModel, table=True):
    __tablename__ = "assignment_default"

    id: int | None = Field(default=None, primary_key=True)
    template_id: int | None = Field(default=None, foreign_key="signature_templates.id")
    updated_at: datetime = timestamp_field()
    updated_by: str | None = Field(default=None, max_length=ADMIN_EMAIL_MAX_LENGTH)


# Database model: an admin chose one teammate's template by hand, overriding the rules.
# `template_id` None means "no signature" for this teammate.
class ManualAssignment(SQLModel, table=True):
    __tablename__ = "manual_assignments"

    id: int | None = Field(default=None, primary_key=True)
    teammate_id: int = Field(foreign_key="teammates.id", unique=True)
    template_id: int | None = Field(default=None, foreign_key="signature_templates.id", index=True)
    created_at: datetime = timestamp_field()
    created_by: str | None = Field(default=None, max_length=ADMIN_EMAIL_MAX_LENGTH)


# Database model: assignment settings of one source (keyed by its key, e.g. "okta"). No row means
# the defaults: people the source says are not yet active (Okta STAGED) get no signature.
class SourceAssignmentSetting(SQLModel, table=True):
    __tablename__ = "assignment_source_settings"

    source: str = Field(primary_key=True, max_length=32)
    # Whether teammates this source says are not yet active get a signature all the same.
    sign_not_yet_active: bool = Field(default=False)
    updated_at: datetime = timestamp_field()
    updated_by: str | None = Field(default=None, max_length=ADMIN_EMAIL_MAX_LENGTH)
