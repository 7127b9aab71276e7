"""How complete each field is over the active teammates ("9/12"), who lacks which field, and whose
phone number is not a valid one (shown as typed and without a `tel:` link: Missing data lists it).

One pass over the active teammates, by batches of ids (memory stays flat for any team size), reading
their Okta profiles and kept values in a few queries per batch.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from webapp.fields.formats import as_text, clean_text, format_phone_value, is_filled, phone_region
from webapp.fields.models import FieldFormat, SmartField
from webapp.fields.values import (
    BATCH,
    COUNTRY_ATTRIBUTE,
    PreparedField,
    attribute_titles,
    local_values,
    okta_profiles,
    own_value,
    prepare_fields,
)
from webapp.teammates.models import Teammate


@dataclass
class Completion:
    """Per field key: how many active teammates have a value, and (for `watch`ed keys) who lacks it."""

    active: int = 0
    filled: dict[str, int] = field(default_factory=dict)
    # Teammate ids lacking each watched field, by display name, at most `limit` each.
    lacking: dict[str, list[int]] = field(default_factory=dict)
    lacking_count: dict[str, int] = field(default_factory=dict)
    # Watched phone fields: teammates whose number is not a valid one, the same way.
    invalid: dict[str, list[int]] = field(default_factory=dict)
    invalid_count: dict[str, int] = field(default_factory=dict)


def _active_ids(session: Session) -> list[int]:
    statement = select(Teammate.id).where(col(Teammate.active).is_(True))
    return [teammate_id for teammate_id in session.exec(statement).all() if teammate_id is not None]


def _ordered_ids(session: Session, ids: Collection[int]) -> list[int]:
    """Ids by display name (for the Missing data lists)."""
    statement = (
        select(Teammate.id, Teammate.display_name)
        .where(col(Teammate.id).in_(list(ids)))
        .order_by(col(Teammate.display_name), col(Teammate.id))
    )
    return [teammate_id for teammate_id, _ in session.exec(statement).all() if teammate_id is not None]


def completion(
    *, session: Session, fields: Sequence[SmartField], watch: Collection[str] = (), limit: int = 50
) -> Completion:
    """Count, per field, the active teammates whose own value is not empty (fallbacks don't count);
    for the `watch`ed keys, also list who lacks it (the first `limit` by name) and how many do, and
    for watched phone fields who has a number that is not valid (counted apart from the lacking)."""
    result = Completion(filled=dict.fromkeys((f.key for f in fields), 0))
    lacking: dict[str, list[int]] = {key: [] for key in watch}
    prepared = prepare_fields(fields, attribute_titles(session=session, fields=fields))
    invalid: dict[str, list[int]] = {f.key: [] for f in prepared if f.phone and f.key in lacking}
    ids = _active_ids(session)
    result.active = len(ids)
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        profiles = okta_profiles(session=session, teammate_ids=batch)
        kept = local_values(session=session, teammate_ids=batch)
        for teammate_id in batch:
            profile, own = profiles.get(teammate_id, {}), kept.get(teammate_id, {})
            for prepared_field in prepared:
                if prepared_field.key in invalid and _invalid_phone(prepared_field, profile, own):
                    invalid[prepared_field.key].append(teammate_id)
                    if prepared_field.format in _SHOWN_AS_TYPED:
                        result.filled[prepared_field.key] += 1
                elif _filled(prepared_field, profile, own):
                    result.filled[prepared_field.key] += 1
                elif prepared_field.key in lacking:
                    lacking[prepared_field.key].append(teammate_id)
    for key, teammate_ids in lacking.items():
        result.lacking_count[key] = len(teammate_ids)
        result.lacking[key] = _first_by_name(session, teammate_ids, limit)
    for key, teammate_ids in invalid.items():
        result.invalid_count[key] = len(teammate_ids)
        result.invalid[key] = _first_by_name(session, teammate_ids, limit)
    return result


# Phone formats that show a number that is not valid as typed (E.164 shows nothing, then the fallback).
_SHOWN_AS_TYPED = frozenset({FieldFormat.PHONE_INTERNATIONAL, FieldFormat.PHONE_NATIONAL})


def _first_by_name(session: Session, teammate_ids: list[int], limit: int) -> list[int]:
    # Ordering needs the names: read them only for the ones shown (a few hundred at most).
    if len(teammate_ids) <= 2000:
        return _ordered_ids(session, teammate_ids)[:limit]
    return teammate_ids[:limit]


def _invalid_phone(field: PreparedField, profile: Mapping[str, Any], kept: Mapping[str, str]) -> bool:
    """Whether the teammate has text in this phone field that is not a valid number (read in their
    own country, as their signature reads it)."""
    raw = own_value(field, profile, kept)
    if raw is None or not clean_text(as_text(raw, separator=field.separator)):
        return False
    region = phone_region(profile.get(COUNTRY_ATTRIBUTE), field.region)
    return not format_phone_value(raw, fmt=field.format, region=region, separator=field.separator)[1]


def _filled(field: PreparedField, profile: Mapping[str, Any], kept: Mapping[str, str]) -> bool:
    raw = own_value(field, profile, kept)
    return raw is not None and is_filled(
        raw, fmt=field.format, region=field.region, separator=field.separator
    )
