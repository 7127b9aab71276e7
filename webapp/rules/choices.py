"""What rules can point at: assignable templates and the smart fields conditions test.

The one place the rules area reads the templates and fields areas (imports flow one way:
fields -> signature_templates -> rules).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import sqlmodel
from sqlalchemy.orm import Session
from sqlmodel import col, select

from webapp.fields.values import known_fields
from webapp.signature_templates.models import SignatureTemplate
from webapp.signature_templates.store import published_versions


@dataclass(frozen=True)
class FieldChoice:
    """A smart field a condition can test: its key and the label the admin gave it."""

    key: str
    label: str


def assignable_templates(*, session: Session) -> dict[int, str]:
    """Templates that can be assigned (a published version, not archived): id -> name, by name."""
    # Those areas type their sessions as SQLModel's; any SQLAlchemy session does for these reads.
    published = published_versions(session=cast(sqlmodel.Session, session))
    if not published:
        return {}
    rows = session.execute(
        select(SignatureTemplate.id, SignatureTemplate.name)
        .where(col(SignatureTemplate.id).in_(list(published)), col(SignatureTemplate.archived_at).is_(None))
        .order_by(col(SignatureTemplate.name))
    )
    return {row[0]: row[1] for row in rows if row[0] is not None}


def template_names(*, session: Session) -> dict[int, str]:
    """Every template's name by id (archived and unpublished ones too), to name what a rule points at."""
    rows = session.execute(select(SignatureTemplate.id, SignatureTemplate.name))
    return {row[0]: row[1] for row in rows if row[0] is not None}


def field_choices(*, session: Session) -> list[FieldChoice]:
    """The smart fields conditions can test, in the fields page's order."""
    return [
        FieldChoice(key=smart.key, label=smart.label or smart.key)
        for smart in known_fields(session=cast(sqlmodel.Session, session))
    ]
