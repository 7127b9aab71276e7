"""Every teammate with each source record, as JSON lines or CSV (`flask teammates export`).

Streamed: teammates are read in batches and written as they come, so memory stays flat for any
number of teammates. JSON keeps each profile value as the source sent it (arrays, numbers,
booleans, null); CSV has one `profile.<name>` column per attribute (the source's schema order,
then any other attribute a profile carries), with arrays and objects as JSON text, and text that
a spreadsheet would run as a formula escaped (`webapp.spreadsheets`).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, TextIO

from sqlmodel import Session, col, select

from webapp.spreadsheets import formula_safe
from webapp.teammates import store
from webapp.teammates.models import SourceAttribute, SourceRecord, Teammate

FIXED_COLUMNS = (
    "teammate_id",
    "source",
    "source_id",
    "status",
    "active",
    "state",
    "removed",
    "email",
    "display_name",
)
PROFILE_PREFIX = "profile."


def rows(*, session: Session) -> Iterator[tuple[Teammate, SourceRecord | None]]:
    """Each teammate with each of its records (a teammate without records once, with None)."""
    for teammate, records in store.iter_teammates_with_records(session=session):
        if not records:
            yield teammate, None
        for record in records:
            yield teammate, record


def as_dict(teammate: Teammate, record: SourceRecord | None) -> dict[str, Any]:
    """One export row: the teammate, its record's identity and status, and the whole profile."""
    return {
        "teammate_id": teammate.id,
        "source": record.source if record else None,
        "source_id": record.external_id if record else None,
        "status": record.status if record else None,
        "active": teammate.active,
        "state": teammate.state,  # a TeammateState: not_yet_active, active or inactive
        "removed": record.removed_at is not None if record else False,
        "email": teammate.email,
        "display_name": teammate.display_name,
        "profile": dict(record.profile) if record else {},
    }


def write_json_lines(out: TextIO, *, session: Session) -> int:
    """One JSON object per line; returns how many lines."""
    count = 0
    for teammate, record in rows(session=session):
        out.write(json.dumps(as_dict(teammate, record), ensure_ascii=False, separators=(",", ":")) + "\n")
        count += 1
    return count


def profile_columns(*, session: Session) -> list[str]:
    """Attribute names for CSV columns: the schemas' attributes in order, then any others seen."""
    names: list[str] = []
    seen: set[str] = set()
    schema = session.exec(
        select(SourceAttribute.name).order_by(col(SourceAttribute.source), col(SourceAttribute.position))
    ).all()
    for name in schema:
        if name not in seen:
            seen.add(name)
            names.append(name)
    extra: set[str] = set()
    for _teammate, record in rows(session=session):  # a first pass over keys only
        if record is not None:
            extra.update(key for key in record.profile if key not in seen)
    return names + sorted(extra)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, str):  # from Okta, untrusted: never a formula (numbers are safe as they are)
        return formula_safe(value)
    return str(value)


def write_csv(out: TextIO, *, session: Session) -> int:
    """A header, then one row per teammate record; returns how many rows."""
    attributes = profile_columns(session=session)
    writer = csv.writer(out)
    writer.writerow([*FIXED_COLUMNS, *(PROFILE_PREFIX + name for name in attributes)])
    count = 0
    for teammate, record in rows(session=session):
        data = as_dict(teammate, record)
        profile = data.pop("profile")
        writer.writerow(
            [
                *(_cell(data[column]) for column in FIXED_COLUMNS),
                *(_cell(profile.get(name)) for name in attributes),
            ]
        )
        count += 1
    return count
