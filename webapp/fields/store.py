"""Data access for smart fields and the values kept in Signet.

Typed, keyword-only functions taking a `Session`; they never commit (the caller's use case does).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from webapp.db import utcnow
from webapp.fields.models import (
    DEFAULT_REGION,
    DEFAULT_SEPARATOR,
    EnumDisplay,
    FieldFormat,
    FieldSource,
    SmartField,
    SmartFieldDefault,
    SmartFieldValue,
)
from webapp.sources.okta.directory import SOURCE_KEY as OKTA
from webapp.teammates import store as teammates
from webapp.teammates.models import SourceAttribute


@dataclass(frozen=True)
class FieldSpec:
    """What an admin sets on a field (already validated: `webapp.fields.forms`)."""

    key: str
    label: str
    source: str = FieldSource.OKTA
    attribute: str = ""
    fallback: str = ""
    format: str = FieldFormat.TEXT
    phone_region: str = DEFAULT_REGION
    list_separator: str = DEFAULT_SEPARATOR
    enum_display: str = EnumDisplay.TITLE

    @classmethod
    def of(cls, field: SmartField) -> FieldSpec:
        """The spec a stored field has."""
        return cls(
            key=field.key,
            label=field.label,
            source=field.source,
            attribute=field.attribute,
            fallback=field.fallback,
            format=field.format,
            phone_region=field.phone_region,
            list_separator=field.list_separator,
            enum_display=field.enum_display,
        )


def get_field(*, session: Session, field_id: int) -> SmartField | None:
    """One field by id."""
    return session.get(SmartField, field_id)


def get_field_by_key(*, session: Session, key: str) -> SmartField | None:
    """One field by key."""
    return session.exec(select(SmartField).where(SmartField.key == key)).first()


def field_keys(*, session: Session) -> set[str]:
    """Every field's key."""
    return set(session.exec(select(SmartField.key)).all())


def create_field(*, session: Session, spec: FieldSpec) -> SmartField:
    """Add a field after the others (flushed, so it has its id)."""
    last = session.exec(select(func.max(SmartField.position))).one()
    field = SmartField(**asdict(spec), position=(last or 0) + 1)
    session.add(field)
    session.flush()
    return field


def update_field(*, session: Session, field: SmartField, spec: FieldSpec) -> list[str]:
    """Apply `spec` to `field` (its key never changes: templates name it); returns what changed."""
    changed = []
    for name, value in asdict(spec).items():
        if name != "key" and getattr(field, name) != value:
            setattr(field, name, value)
            changed.append(name)
    if changed:
        field.updated_at = utcnow()
        session.add(field)
    return changed


def delete_field(*, session: Session, field: SmartField) -> None:
    """Delete a field and the values kept for it."""
    session.execute(delete(SmartFieldValue).where(col(SmartFieldValue.field_id) == field.id))
    session.delete(field)
    session.flush()


def move_field(*, session: Session, field: SmartField, offset: int) -> bool:
    """Move a field up (`offset` -1) or down (+1) in the list; False when it is already at that end."""
    fields = list(session.exec(select(SmartField).order_by(col(SmartField.position), col(SmartField.id))))
    index = next(number for number, candidate in enumerate(fields) if candidate.id == field.id)
    target = index + offset
    if not 0 <= target < len(fields):
        return False
    fields[index], fields[target] = fields[target], fields[index]
    for position, candidate in enumerate(fields, start=1):
        if candidate.position != position:
            candidate.position = position
            session.add(candidate)
    return True


def okta_attributes(*, session: Session, include_removed: bool = False) -> list[SourceAttribute]:
    """The attributes Okta's user schema offers (as last read), base then custom."""
    return teammates.list_source_attributes(session=session, source=OKTA, include_removed=include_removed)


def kept_values(*, session: Session, teammate_id: int) -> dict[int, str]:
    """The values kept in Signet for one teammate, by field id."""
    statement = select(SmartFieldValue).where(SmartFieldValue.teammate_id == teammate_id)
    return {row.field_id: row.value for row in session.exec(statement).all()}


def save_kept_values(*, session: Session, teammate_id: int, values: Mapping[int, str]) -> set[int]:
    """Store one teammate's kept values ({field id: value}; "" removes one); returns the field ids
    whose value changed."""
    rows = {
        row.field_id: row
        for row in session.exec(select(SmartFieldValue).where(SmartFieldValue.teammate_id == teammate_id))
    }
    changed: set[int] = set()
    now = utcnow()
    for field_id, value in values.items():
        row = rows.get(field_id)
        if row is None and value:
            session.add(
                SmartFieldValue(field_id=field_id, teammate_id=teammate_id, value=value, updated_at=now)
            )
        elif row is not None and not value:
            session.delete(row)
        elif row is not None and row.value != value:
            row.value, row.updated_at = value, now
            session.add(row)
        else:
            continue
        changed.add(field_id)
    session.flush()
    return changed


def offered_defaults(*, session: Session) -> set[str]:
    """The default field keys Signet already created once."""
    return set(session.exec(select(SmartFieldDefault.key)).all())


def mark_default_offered(*, session: Session, key: str) -> None:
    """Remember that the default field `key` was created (it is never created again)."""
    session.add(SmartFieldDefault(key=key))
