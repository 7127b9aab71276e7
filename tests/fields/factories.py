"""Factories for smart fields (flushed, not committed)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from webapp.fields import store
from webapp.fields.models import FieldFormat, FieldSource, SmartField
from webapp.fields.store import FieldSpec


def gen_field(
    session: Session,
    key: str,
    attribute: str = "",
    *,
    source: str | None = None,
    fmt: str = FieldFormat.TEXT,
    **settings: Any,
) -> SmartField:
    """A field mapped to the Okta `attribute`, or kept in Signet when no attribute is given."""
    spec = FieldSpec(
        key=key,
        label=settings.pop("label", key.replace("_", " ").capitalize()),
        source=source or (FieldSource.OKTA if attribute else FieldSource.SIGNET),
        attribute=attribute,
        format=fmt,
        **settings,
    )
    return store.create_field(session=session, spec=spec)


# Okta's base attributes and some custom ones of every JSON type (FACTS §8), as a schema read stores them.
SCHEMA = [
    ("firstName", "First name", "string", False),
    ("lastName", "Last name", "string", False),
    ("displayName", "Display name", "string", False),
    ("title", "Title", "string", False),
    ("department", "Department", "string", False),
    ("mobilePhone", "Mobile phone", "string", False),
    ("countryCode", "Country code", "string", False),
    ("languages", "Languages", "array", True),
    ("deskNumber", "Desk number", "integer", True),
    ("fte", "FTE", "number", True),
    ("remote", "Works remotely", "boolean", True),
]


def gen_schema(session: Session, attributes: list[tuple[str, str, str, bool]] | None = None) -> None:
    """Okta schema attributes (name, title, type, custom), in order."""
    from webapp.teammates.models import SourceAttribute

    for position, (name, title, kind, custom) in enumerate(attributes or SCHEMA):
        session.add(
            SourceAttribute(
                source="okta", name=name, title=title, type=kind, custom=custom, position=position
            )
        )
    session.flush()
