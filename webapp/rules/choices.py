"""What rules can point at: assignable templates and the smart fields conditions test.

The one place the rules area reads the templates and fields areas (imports flow one way:
fields -> signature_templates -> rules).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import sqlmodel
from sqlalchemy.orm import Session
from sqlmodel import select

from webapp.fields.values import known_fields
from webapp.signature_templates.models import SignatureTemplate
from webapp.signature_templates.store import published_versions


@dataclass(frozen=True)
class FieldChoice:
    """A smart field a condition can test: its key and the label the admin gave it."""

    key: str
    label: str


@dataclass(frozen=True)
class TemplateCatalog:
    """Every template as assignments see it.

    A template with a published version can be assigned. An archived one keeps working where it is
    already used (the templates area promises that when archiving) but is no longer offered.
    """

    names: dict[int, str]
    published: frozenset[int]  # has a published version (archived ones included)
    archived: frozenset[int]

    def assignable(self) -> dict[int, str]:
        """What can be newly chosen (published, not archived): id -> name, by name."""
        usable = [
            (name, template_id) for template_id, name in self.names.items() if self.offered(template_id)
        ]
        return {
            template_id: name for name, template_id in sorted(usable, key=lambda pair: pair[0].casefold())
        }

    def offered(self, template_id: int) -> bool:
        """Whether a select offers this template to new choices."""
        return template_id in self.published and template_id not in self.archived

    def choices(self, current: int | None = None) -> dict[int, str]:
        """What a select offers: the assignable templates, plus `current` (the one stored now) when
        it is archived but still published, so keeping it is possible and visible."""
        options = self.assignable()
        if current is not None and current in self.published and current not in options:
            options[current] = f"{self.names.get(current, f'Template {current}')} (archived)"
        return options


def template_catalog(*, session: Session) -> TemplateCatalog:
    """Every template's name, which are published and which archived (two queries)."""
    # Those areas type their sessions as SQLModel's; any SQLAlchemy session does for these reads.
    published = published_versions(session=cast(sqlmodel.Session, session))
    rows = session.execute(
        select(SignatureTemplate.id, SignatureTemplate.name, SignatureTemplate.archived_at)
    )
    names: dict[int, str] = {}
    archived: set[int] = set()
    for template_id, name, archived_at in rows:
        if template_id is not None:
            names[template_id] = name
            if archived_at is not None:
                archived.add(template_id)
    return TemplateCatalog(names=names, published=frozenset(published), archived=frozenset(archived))


def assignable_templates(*, session: Session) -> dict[int, str]:
    """Templates that can be newly chosen (a published version, not archived): id -> name, by name."""
    return template_catalog(session=session).assignable()


def template_names(*, session: Session) -> dict[int, str]:
    """Every template's name by id (archived and unpublished ones too), to name what a rule points at."""
    return template_catalog(session=session).names


def field_choices(*, session: Session) -> list[FieldChoice]:
    """The smart fields conditions can test, in the fields page's order."""
    return [
        FieldChoice(key=smart.key, label=smart.label or smart.key)
        for smart in known_fields(session=cast(sqlmodel.Session, session))
    ]
