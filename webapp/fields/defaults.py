"""The default smart fields: created when Okta's user schema is first stored, or from the empty
Smart fields page ("Add default fields").

Each default is created at most once (`SmartFieldDefault` remembers it): an admin who deletes or
edits one never sees it come back or change on the next schema refresh. Pronouns and LinkedIn are
created only when the schema has such an attribute (names matched case-insensitively).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlmodel import Session

from webapp.extensions import db
from webapp.fields import store
from webapp.fields.models import FieldFormat, FieldSource
from webapp.fields.signals import fields_changed
from webapp.fields.store import FieldSpec
from webapp.sources.okta.directory import SOURCE_KEY as OKTA
from webapp.teammates.signals import schema_refreshed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DefaultField:
    """A default field: `attributes` are Okta attribute names to map, the first the schema has wins
    (the last one is used when the schema has none of them, unless `optional`)."""

    key: str
    label: str
    attributes: tuple[str, ...]
    format: str = FieldFormat.TEXT
    optional: bool = False  # created only when the schema has one of `attributes`
    # Also matched: attribute names that, lower-cased without punctuation, contain this.
    contains: str = ""


DEFAULT_FIELDS: tuple[DefaultField, ...] = (
    DefaultField("first_name", "First name", ("firstName",)),
    DefaultField("last_name", "Last name", ("lastName",)),
    DefaultField("display_name", "Display name", ("displayName",)),
    DefaultField("job_title", "Job title", ("title",)),
    DefaultField("department", "Department", ("department",)),
    DefaultField("division", "Division", ("division",)),
    DefaultField("organization", "Organization", ("organization",)),
    DefaultField("email", "Email", ("email",), FieldFormat.EMAIL),
    DefaultField("mobile_phone", "Mobile phone", ("mobilePhone",), FieldFormat.PHONE_INTERNATIONAL),
    DefaultField("primary_phone", "Primary phone", ("primaryPhone",), FieldFormat.PHONE_INTERNATIONAL),
    DefaultField("street_address", "Street address", ("streetAddress",)),
    DefaultField("city", "City", ("city",)),
    DefaultField("state", "State", ("state",)),
    DefaultField("zip_code", "Zip code", ("zipCode",)),
    # Okta's base schema has only `countryCode` ("US"); many orgs add a custom `country` ("France").
    DefaultField("country", "Country", ("country", "countryCode")),
    DefaultField("employee_number", "Employee number", ("employeeNumber",)),
    DefaultField("manager", "Manager", ("manager",)),
    DefaultField("pronouns", "Pronouns", ("pronouns", "pronoun", "preferredPronouns"), optional=True),
    DefaultField("linkedin", "LinkedIn", (), FieldFormat.URL, optional=True, contains="linkedin"),
)
_NOT_ALNUM = re.compile(r"[^a-z0-9]")


def _squashed(name: str) -> str:
    return _NOT_ALNUM.sub("", name.lower())


def match_attribute(default: DefaultField, schema: Iterable[str]) -> str | None:
    """The schema attribute `default` maps to (case and punctuation ignored), or None."""
    by_squashed: dict[str, str] = {}
    for name in schema:
        by_squashed.setdefault(_squashed(name), name)
    for wanted in default.attributes:
        if _squashed(wanted) in by_squashed:
            return by_squashed[_squashed(wanted)]
    if default.contains:
        found = sorted(name for squashed, name in by_squashed.items() if default.contains in squashed)
        if found:
            return found[0]
    if default.optional or not default.attributes:
        return None
    return default.attributes[-1]


def default_specs(schema: Sequence[str]) -> list[FieldSpec]:
    """The default fields for an Okta schema with these attribute names (all base ones if empty)."""
    specs = []
    for default in DEFAULT_FIELDS:
        attribute = match_attribute(default, schema)
        if attribute is not None:
            specs.append(
                FieldSpec(
                    key=default.key,
                    label=default.label,
                    source=FieldSource.OKTA,
                    attribute=attribute,
                    format=default.format,
                )
            )
    return specs


def create_default_fields(*, session: Session) -> list[str]:
    """Create the defaults not offered before whose key is free; returns their keys (not committed)."""
    schema = [attribute.name for attribute in store.okta_attributes(session=session)]
    offered = store.offered_defaults(session=session)
    existing = store.field_keys(session=session)
    created = []
    for spec in default_specs(schema):
        if spec.key in offered:
            continue
        store.mark_default_offered(session=session, key=spec.key)
        if spec.key not in existing:
            store.create_field(session=session, spec=spec)
            created.append(spec.key)
    return created


def _on_schema_refreshed(sender: Flask, source: str = "", **_: Any) -> None:
    """After Okta's schema is stored: create the defaults not offered yet (never fails the sync)."""
    if source != OKTA:
        return
    try:
        with sender.app_context(), db.session_scope(writer=True) as session:
            created = create_default_fields(session=session)
    except Exception:  # noqa: BLE001 - a sync must not fail because of smart fields
        log.warning("Could not create the default smart fields.", exc_info=True)
        return
    if created:
        log.info("Created %s default smart field(s): %s", len(created), ", ".join(created))
        fields_changed.send(sender, field_keys=frozenset(created), teammate_ids=None)


schema_refreshed.connect(_on_schema_refreshed)
