"""What the Smart fields pages show, read from the database (the views only pick and render).

The list (each field with its source, format, completion and the templates using it), the live
sample of a field for a few teammates, the Missing data groups and one teammate's values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from sqlmodel import Session, col, select

from webapp.fields import store
from webapp.fields.completion import completion
from webapp.fields.formats import PHONE_FORMATS, as_text, clean_text, phone_problem, phone_region
from webapp.fields.forms import FORMAT_LABELS
from webapp.fields.models import FieldSource, SmartField
from webapp.fields.store import FieldSpec
from webapp.fields.usage import FieldUsage, field_usage, published_field_keys
from webapp.fields.values import (
    COUNTRY_ATTRIBUTE,
    attribute_titles,
    compute_field_values,
    known_fields,
    local_values,
    name_parts,
    profile_value,
)
from webapp.sources.okta.directory import SOURCE_KEY as OKTA
from webapp.teammates.models import SourceAttribute, SourceRecord, Teammate
from webapp.teammates.profile import admin_console_url

SAMPLE_SIZE = 5
SAMPLE_SCAN = 200  # teammates looked at to find ones with a value for the sample
MISSING_LIMIT = 50  # teammates listed per field on the Missing data page


@dataclass(frozen=True)
class FieldRow:
    """One field on the list page."""

    field: SmartField
    attribute_title: str  # the Okta attribute's title ("" for a field kept in Signet)
    attribute_removed: bool  # the attribute is no longer in Okta's schema
    format_label: str
    filled: int
    usages: list[FieldUsage]


@dataclass(frozen=True)
class FieldList:
    """The list page's content."""

    rows: list[FieldRow]
    active: int
    attribute_count: int


def attribute_index(attributes: Sequence[SourceAttribute]) -> dict[str, SourceAttribute]:
    """Attributes by name."""
    return {attribute.name: attribute for attribute in attributes}


def field_list(*, session: Session) -> FieldList:
    """Every field with its completion over the active teammates and the templates using it."""
    fields = known_fields(session=session)
    attributes = attribute_index(store.okta_attributes(session=session, include_removed=True))
    counts = completion(session=session, fields=fields)
    usage = field_usage(session)
    rows = []
    for smart_field in fields:
        attribute = attributes.get(smart_field.attribute) if smart_field.source == FieldSource.OKTA else None
        rows.append(
            FieldRow(
                field=smart_field,
                attribute_title=(attribute.title or attribute.name) if attribute else "",
                attribute_removed=smart_field.source == FieldSource.OKTA
                and (attribute is None or attribute.removed_at is not None),
                format_label=FORMAT_LABELS.get(smart_field.format, smart_field.format),
                filled=counts.filled.get(smart_field.key, 0),
                usages=usage.get(smart_field.key, []),
            )
        )
    live = sum(1 for attribute in attributes.values() if attribute.removed_at is None)
    return FieldList(rows=rows, active=counts.active, attribute_count=live)


@dataclass(frozen=True)
class Sample:
    """A field's value for one teammate, as the edit page's sample shows it."""

    teammate: Teammate
    raw: str  # the value before formatting, as text
    value: str  # formatted, fallback applied
    used_fallback: bool
    problem: str | None  # e.g. a phone number that is not valid


def sample_values(*, session: Session, spec: FieldSpec, field_id: int | None = None) -> list[Sample]:
    """The field as `spec` describes it, for a few active teammates (those with a value first)."""
    candidate = SmartField(id=field_id, **spec.__dict__)
    teammates = list(
        session.exec(
            select(Teammate)
            .where(col(Teammate.active).is_(True))
            .order_by(col(Teammate.display_name), col(Teammate.id))
            .limit(SAMPLE_SCAN)
        ).all()
    )
    ids = [teammate.id for teammate in teammates if teammate.id is not None]
    raws, countries = _raw_values(session, candidate, ids)
    separator = candidate.list_separator
    texts = {teammate_id: as_text(raw, separator=separator) for teammate_id, raw in raws.items()}
    with_value = [teammate for teammate in teammates if texts.get(teammate.id or 0)]
    without = [teammate for teammate in teammates if not texts.get(teammate.id or 0)]
    titles = attribute_titles(session=session, fields=[candidate])
    samples = []
    for teammate in (with_value + without)[:SAMPLE_SIZE]:
        raw, country = texts.get(teammate.id or 0, ""), countries.get(teammate.id or 0)
        profile = {candidate.attribute: raws.get(teammate.id or 0), COUNTRY_ATTRIBUTE: country}
        values = compute_field_values([candidate], profile, {candidate.key: raw}, titles)
        problem = None
        if raw and candidate.format in PHONE_FORMATS:
            problem = phone_problem(clean_text(raw), region=phone_region(country, candidate.phone_region))
        samples.append(
            Sample(
                teammate,
                clean_text(raw),
                values.values[candidate.key],
                candidate.key in values.missing,
                problem,
            )
        )
    return samples


def _raw_values(
    session: Session, candidate: SmartField, ids: list[int]
) -> tuple[dict[int, Any], dict[int, Any]]:
    """Each teammate's raw value for `candidate` (any JSON type; a name made of its parts), and each
    one's Okta `countryCode` (the region of their phone numbers)."""
    statement = select(SourceRecord.teammate_id, SourceRecord.profile).where(
        SourceRecord.source == OKTA, col(SourceRecord.teammate_id).in_(ids)
    )
    profiles = {teammate_id: profile or {} for teammate_id, profile in session.exec(statement).all()}
    countries = {teammate_id: profile.get(COUNTRY_ATTRIBUTE) for teammate_id, profile in profiles.items()}
    if candidate.source == FieldSource.OKTA:
        parts = name_parts(candidate.attribute)
        return {
            teammate_id: profile_value(profile, candidate.attribute, parts)
            for teammate_id, profile in profiles.items()
        }, countries
    if candidate.id is None:
        return {}, countries
    kept = local_values(session=session, teammate_ids=ids)
    return {teammate_id: values.get(candidate.key, "") for teammate_id, values in kept.items()}, countries


# Why a teammate is listed on Missing data.
NO_VALUE = "no value"
INVALID_NUMBER = "not a valid number"


@dataclass(frozen=True)
class MissingTeammate:
    """A teammate lacking a field (or whose number is not valid): where to fix it."""

    teammate: Teammate
    okta_url: str | None
    external_id: str
    problem: str = NO_VALUE  # NO_VALUE or INVALID_NUMBER


@dataclass
class MissingGroup:
    """One field a published template uses, and the active teammates lacking it (then, for a phone
    field, those whose number is not a valid one)."""

    field: SmartField
    usages: list[FieldUsage]
    count: int
    teammates: list[MissingTeammate] = dataclass_field(default_factory=list)
    invalid_count: int = 0


def missing_groups(
    *, session: Session, okta_origin: str | None, limit: int = MISSING_LIMIT
) -> list[MissingGroup]:
    """Per field a published template uses: the active teammates whose own value is empty, then for
    phone fields those whose number is not valid (the first `limit` of each by name, each with its
    Okta admin-console link) and how many there are."""
    usage = field_usage(session)
    published = published_field_keys(session)
    fields = known_fields(session=session)
    watched = [smart_field for smart_field in fields if smart_field.key in published]
    if not watched:
        return []
    counts = completion(session=session, fields=watched, watch=[f.key for f in watched], limit=limit)
    shown_ids = {teammate_id for ids in counts.lacking.values() for teammate_id in ids}
    shown_ids |= {teammate_id for ids in counts.invalid.values() for teammate_id in ids}
    people = _teammates_with_okta_ids(session, shown_ids)
    groups = []
    for smart_field in watched:
        group = MissingGroup(
            smart_field,
            [usage_ for usage_ in usage.get(smart_field.key, []) if usage_.published],
            counts.lacking_count.get(smart_field.key, 0),
            invalid_count=counts.invalid_count.get(smart_field.key, 0),
        )
        listed = [(teammate_id, NO_VALUE) for teammate_id in counts.lacking.get(smart_field.key, [])]
        listed += [(teammate_id, INVALID_NUMBER) for teammate_id in counts.invalid.get(smart_field.key, [])]
        for teammate_id, problem in listed:
            teammate, external_id = people[teammate_id]
            group.teammates.append(
                MissingTeammate(teammate, admin_console_url(okta_origin, external_id), external_id, problem)
            )
        groups.append(group)
    return groups


def _teammates_with_okta_ids(session: Session, ids: set[int]) -> dict[int, tuple[Teammate, str]]:
    if not ids:
        return {}
    teammates = session.exec(select(Teammate).where(col(Teammate.id).in_(list(ids)))).all()
    records = session.exec(
        select(SourceRecord.teammate_id, SourceRecord.external_id)
        .where(SourceRecord.source == OKTA, col(SourceRecord.teammate_id).in_(list(ids)))
        .order_by(col(SourceRecord.id))
    ).all()
    external: dict[int, str] = {}
    for teammate_id, external_id in records:
        external.setdefault(teammate_id, external_id)
    return {t.id: (t, external.get(t.id, "")) for t in teammates if t.id is not None}


@dataclass(frozen=True)
class TeammateFieldRow:
    """One field of one teammate: its value, and whether it is typed in Signet."""

    field: SmartField
    value: str  # formatted, fallback applied
    missing: bool
    kept: str  # the value typed in Signet (fields kept in Signet)
    attribute_title: str


def teammate_rows(
    *, session: Session, teammate: Teammate, kept_input: Mapping[str, str] | None = None
) -> list[TeammateFieldRow]:
    """Every field's value for `teammate`; `kept_input` (by key) replaces the stored kept values
    (a form shown again with what was typed)."""
    assert teammate.id is not None
    fields = known_fields(session=session)
    records = session.exec(
        select(SourceRecord.profile)
        .where(SourceRecord.source == OKTA, SourceRecord.teammate_id == teammate.id)
        .order_by(col(SourceRecord.id))
    ).first()
    by_id = store.kept_values(session=session, teammate_id=teammate.id)
    kept = {f.key: by_id.get(f.id or 0, "") for f in fields}
    if kept_input is not None:
        kept.update(kept_input)
    enum_titles = attribute_titles(session=session, fields=fields)
    values = compute_field_values(fields, records or {}, kept, enum_titles)
    titles = {a.name: a.title or a.name for a in store.okta_attributes(session=session, include_removed=True)}
    return [
        TeammateFieldRow(
            f,
            values.values[f.key],
            f.key in values.missing,
            kept.get(f.key, ""),
            titles.get(f.attribute, f.attribute),
        )
        for f in fields
    ]
