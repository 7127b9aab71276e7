"""Every smart field's value for teammates (or for any profile): what templates are rendered with.

A field's own value comes from the teammate's Okta profile (`source` okta) or from the value kept in
Signet (`source` signet); it is formatted (`webapp.fields.formats`) and, when empty, replaced by the
field's fallback (formatted the same way). Phone numbers written without +country code are read in
the teammate's own country (Okta's `countryCode`), else the field's region; each valid one's E.164
form travels with the values (`ValueMap.tel`) for the renderer's `|tel` filter, since a number
shown in national format no longer says its country. A value Okta's schema titles (`oneOf`: "ONE"
titled "Option one") shows by its title unless the field says otherwise (`enum_display`).
`missing` lists the fields whose own value was empty, before the fallback: the Missing data view
and the signatures' warnings use it.

A name attribute left empty is made of the teammate's other name attributes (`NAME_PARTS`): real
Okta users rarely have `displayName` (1 of 209 in the recordings of issue 16) but nearly always a
first and last name, as teammate records already assume (`webapp.sources.okta.directory`). Such a
made-up name is the teammate's own value, not a fallback: it does not count as missing.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_
from sqlalchemy.orm import Session
from sqlmodel import col, select

from webapp.fields.formats import (
    PHONE_FORMATS,
    as_text,
    clean_text,
    format_phone_value,
    format_value,
    phone_region,
)
from webapp.fields.models import EnumDisplay, FieldSource, SmartField, SmartFieldValue
from webapp.sources.okta.directory import SOURCE_KEY as OKTA
from webapp.teammates.enums import enum_titles, titled
from webapp.teammates.models import SourceAttribute, SourceRecord

# Ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits.
BATCH = 500
# Okta name attributes (lower-cased, without punctuation) made of others when empty: Okta's base
# schema has `displayName` besides `firstName` and `lastName`
# (https://developer.okta.com/docs/reference/api/users/#default-profile-properties); `fullName` is
# a common custom one.
NAME_PARTS: Mapping[str, tuple[str, ...]] = {
    "displayname": ("firstName", "lastName"),
    "fullname": ("firstName", "lastName"),
}
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
# Okta's base attribute holding the teammate's country (ISO 3166-1 alpha-2): the region of their
# numbers written without +country code (issue 16).
COUNTRY_ATTRIBUTE = "countryCode"


def name_parts(attribute: str) -> tuple[str, ...]:
    """The attributes an empty `attribute` is made of (first + last name for `displayName`), or ()."""
    return NAME_PARTS.get(_NOT_ALNUM.sub("", attribute.lower()), ())


def profile_value(profile: Mapping[str, Any], attribute: str, parts: Sequence[str] = ()) -> Any:
    """`attribute`'s raw value in an Okta profile; when it is empty, the non-empty ones of `parts`
    joined by a space (`name_parts`), if any."""
    raw = profile.get(attribute)
    if not parts or (raw is not None and clean_text(as_text(raw))):
        return raw
    return joined_parts(profile, parts) or raw


def joined_parts(profile: Mapping[str, Any], parts: Sequence[str]) -> str:
    """The non-empty values of `parts` in a profile, cleaned and joined by a space."""
    return " ".join(text for text in (clean_text(as_text(profile.get(part))) for part in parts) if text)


class ValueMap(dict[str, str]):
    """Smart-field key -> formatted text, with `tel`: each phone value shown (its text) -> its E.164
    form, for valid numbers only. A plain dict to everything but the renderer, which hands `tel` to
    the `|tel` filter (`webapp.signature_templates.sandbox`)."""

    def __init__(self, values: Mapping[str, str] | None = None, tel: Mapping[str, str] | None = None) -> None:
        super().__init__(values or {})
        self.tel: dict[str, str] = dict(tel or {})


@dataclass(frozen=True)
class FieldValues:
    """One teammate's (or profile's) smart-field values."""

    # every field key -> formatted text, fallback applied ("" if none); computed here: a `ValueMap`
    values: dict[str, str]
    missing: frozenset[str]  # keys whose own value is empty (before the fallback)


def field_value(field: SmartField, raw: Any) -> str:
    """`raw` (a profile value of any JSON type, or a value kept in Signet) in `field`'s format."""
    return format_value(raw, fmt=field.format, region=field.phone_region, separator=field.list_separator)


def fallback_value(field: SmartField) -> str:
    """The field's fallback in its format ("" if it has none, or if the format refuses it)."""
    return field_value(field, field.fallback) if field.fallback else ""


@dataclass(frozen=True, slots=True)
class PreparedField:
    """A field's settings read once (plain attributes: thousands of teammates are computed per call,
    and reading an ORM attribute costs more than formatting most values), fallback formatted."""

    key: str
    from_okta: bool
    attribute: str
    parts: tuple[str, ...]  # `name_parts(attribute)`
    format: str
    region: str
    separator: str
    fallback: str
    phone: bool  # a phone format
    fallback_tel: str  # the fallback's E.164 form (phone formats; "" otherwise)
    titles: Mapping[str, str]  # enum value -> title, when the field shows titles (else empty)


def _fallback_tel(field: SmartField) -> str:
    if not field.fallback or field.format not in PHONE_FORMATS:
        return ""
    region = phone_region(None, field.phone_region)
    return format_phone_value(field.fallback, fmt=field.format, region=region)[1]


def shows_titles(field: SmartField) -> bool:
    """Whether the field shows enum values by their titles (an Okta field set so: the default)."""
    return field.source == FieldSource.OKTA and field.enum_display != EnumDisplay.VALUE


def attribute_titles(*, session: Session, fields: Sequence[SmartField]) -> dict[str, dict[str, str]]:
    """The enum titles ({value: title}, from the stored schema details' `oneOf`) of the Okta
    attributes that `fields` show by title, by attribute name; no query when none does."""
    wanted = sorted({field.attribute for field in fields if shows_titles(field)})
    if not wanted:
        return {}
    statement = select(SourceAttribute.name, SourceAttribute.details).where(
        SourceAttribute.source == OKTA, col(SourceAttribute.name).in_(wanted)
    )
    result: dict[str, dict[str, str]] = {}
    for name, details in session.execute(statement).all():
        titles = enum_titles(details) if isinstance(details, Mapping) else {}
        if titles:
            result[name] = titles
    return result


def prepare_fields(
    fields: Sequence[SmartField], titles: Mapping[str, Mapping[str, str]] | None = None
) -> list[PreparedField]:
    """The fields, ready to compute many teammates' values; `titles` are the enum titles by Okta
    attribute (`attribute_titles`; without them, values show as stored)."""
    titles = titles or {}
    return [
        PreparedField(
            key=field.key,
            from_okta=field.source == FieldSource.OKTA,
            attribute=field.attribute,
            parts=name_parts(field.attribute),
            format=field.format,
            region=field.phone_region,
            separator=field.list_separator,
            fallback=fallback_value(field),
            phone=field.format in PHONE_FORMATS,
            fallback_tel=_fallback_tel(field),
            titles=titles.get(field.attribute, {}) if shows_titles(field) else {},
        )
        for field in fields
    ]


def compute_prepared(
    fields: Sequence[PreparedField], profile: Mapping[str, Any], local: Mapping[str, str]
) -> FieldValues:
    """`compute_field_values` for fields already prepared (`prepare_fields`); `own_value`, inlined
    (a re-render computes 10,000 teammates' values: each call counts)."""
    values = ValueMap()
    missing: set[str] = set()
    for field in fields:
        if field.from_okta:
            raw = profile.get(field.attribute)
            if field.titles and raw is not None:
                raw = titled(raw, field.titles)
        else:
            raw = local.get(field.key)
        text = tel = ""
        if raw is not None and field.phone:
            region = phone_region(profile.get(COUNTRY_ATTRIBUTE), field.region)
            text, tel = format_phone_value(raw, fmt=field.format, region=region, separator=field.separator)
        elif raw is not None:
            text = format_value(raw, fmt=field.format, region=field.region, separator=field.separator)
        if not text and field.parts:  # a name made of its parts (`profile_value`)
            text = format_value(
                joined_parts(profile, field.parts),
                fmt=field.format,
                region=field.region,
                separator=field.separator,
            )
        if not text:
            missing.add(field.key)
            text, tel = field.fallback, field.fallback_tel
        values[field.key] = text
        if tel:
            values.tel[text] = tel
    return FieldValues(values=values, missing=frozenset(missing))


def own_value(field: PreparedField, profile: Mapping[str, Any], local: Mapping[str, str]) -> Any:
    """The field's raw value for one teammate, before formatting and fallback."""
    if not field.from_okta:
        return local.get(field.key)
    raw = profile_value(profile, field.attribute, field.parts)
    return titled(raw, field.titles) if field.titles else raw


def compute_field_values(
    fields: Sequence[SmartField],
    profile: Mapping[str, Any],
    local: Mapping[str, str],
    titles: Mapping[str, Mapping[str, str]] | None = None,
) -> FieldValues:
    """Every field's value from an Okta `profile` and the values kept in Signet (`local`, by key),
    enum values by title with `titles` (`attribute_titles`)."""
    return compute_prepared(prepare_fields(fields, titles), profile, local)


def known_fields(*, session: Session) -> list[SmartField]:
    """Every smart field, in the admin's order."""
    statement = select(SmartField).order_by(col(SmartField.position), col(SmartField.id))
    return list(session.execute(statement).scalars().all())


def fields_and_titles(
    *, session: Session, keys: Collection[str] | None = None
) -> tuple[list[SmartField], dict[str, dict[str, str]]]:
    """`known_fields` (only those of `keys` if given) and `attribute_titles` for them, in one query
    (a re-render of thousands of signatures counts its queries)."""
    statement = (
        select(SmartField, SourceAttribute.details)
        .outerjoin(
            SourceAttribute,
            and_(col(SourceAttribute.source) == OKTA, col(SourceAttribute.name) == col(SmartField.attribute)),
        )
        .order_by(col(SmartField.position), col(SmartField.id))
    )
    fields: list[SmartField] = []
    titles: dict[str, dict[str, str]] = {}
    for field, details in session.execute(statement).all():
        if keys is not None and field.key not in keys:
            continue
        fields.append(field)
        found = enum_titles(details) if isinstance(details, Mapping) and shows_titles(field) else {}
        if found:
            titles[field.attribute] = found
    return fields, titles


def _batches(ids: Sequence[int]) -> Iterator[list[int]]:
    unique = sorted(set(ids))
    for start in range(0, len(unique), BATCH):
        yield unique[start : start + BATCH]


def okta_profiles(*, session: Session, teammate_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Each teammate's Okta profile (its oldest Okta record's), by teammate id; batched."""
    profiles: dict[int, dict[str, Any]] = {}
    for batch in _batches(teammate_ids):
        statement = (
            select(SourceRecord.teammate_id, SourceRecord.profile)
            .where(SourceRecord.source == OKTA, col(SourceRecord.teammate_id).in_(batch))
            .order_by(col(SourceRecord.id))
        )
        for teammate_id, profile in session.execute(statement).all():
            profiles.setdefault(teammate_id, dict(profile or {}))
    return profiles


def local_values(*, session: Session, teammate_ids: Sequence[int]) -> dict[int, dict[str, str]]:
    """The values kept in Signet for these teammates: {teammate id: {field key: value}}; batched."""
    result: dict[int, dict[str, str]] = {}
    for batch in _batches(teammate_ids):
        statement = (
            select(SmartFieldValue.teammate_id, SmartField.key, SmartFieldValue.value)
            .join(SmartField, col(SmartField.id) == col(SmartFieldValue.field_id))
            .where(col(SmartFieldValue.teammate_id).in_(batch))
        )
        for teammate_id, key, value in session.execute(statement).all():
            result.setdefault(teammate_id, {})[key] = value
    return result


def teammate_field_values(
    *, session: Session, teammate_ids: Sequence[int], keys: Collection[str] | None = None
) -> dict[int, FieldValues]:
    """Every field's value (or only those of `keys`: a re-render computes just the fields its
    templates use) for each of `teammate_ids` (one without an Okta record gets its kept values and
    fallbacks), in a few queries whatever their number: the fields, then the Okta profiles and the
    kept values by batches of ids."""
    fields = prepare_fields(*fields_and_titles(session=session, keys=keys))
    profiles = okta_profiles(session=session, teammate_ids=teammate_ids)
    kept = local_values(session=session, teammate_ids=teammate_ids)
    result: dict[int, FieldValues] = {}
    for teammate_id in set(teammate_ids):
        result[teammate_id] = compute_prepared(
            fields, profiles.get(teammate_id, {}), kept.get(teammate_id, {})
        )
    return result


def profile_field_values(
    *, session: Session, profile: Mapping[str, Any], local: Mapping[str, str] | None = None
) -> FieldValues:
    """Every field's value for a profile that is not (or not yet) a teammate's (previews, the CLI)."""
    fields, titles = fields_and_titles(session=session)
    return compute_field_values(fields, profile, local or {}, titles)
