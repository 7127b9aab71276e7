"""Seeded, deterministic teammates: realistic, international, and deliberately awkward.

The same ``seed`` and ``count`` always give the same users (ids included). The first
teammates are hand-written edge cases (accents, non-Latin scripts, apostrophes,
ampersands, missing fields); the next seven carry every non-ACTIVE status; the rest
are drawn from the tables below. What real orgs send beyond that (no ``displayName``,
more statuses, national phones, enum attributes) comes from :mod:`okta_sandbox.seed_real`.
"""

from __future__ import annotations

import functools
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from okta_sandbox.ids import USER_PREFIX, okta_id
from okta_sandbox.models import USER_STATUSES, UserRecord
from okta_sandbox.seed_data import (
    DEPARTMENTS,
    FIRST_NAMES,
    FTE_VALUES,
    LANGUAGE_NAMES,
    LAST_NAMES,
    PLACES,
    PRONOUNS,
    SECOND_LANGUAGES,
    SPECIAL_TEAMMATES,
    Place,
)
from okta_sandbox.seed_real import (
    RealTraits,
    enum_values,
    final_status,
    phone,
    settle_timestamps,
    transitioning,
)

EMAIL_DOMAIN = "signet-demo.example"
# Seed timestamps are relative to a fixed anchor, not to the wall clock, so data is identical
# on every run; later changes stamp the sandbox clock (which is after the anchor).
ANCHOR = datetime(2025, 1, 1, tzinfo=UTC)
# Documented password for seeded (non-admin) users, so tests can sign in as an unassigned user.
USER_PASSWORD = "Teammate-1"  # noqa: S105 - documented fake credential


@functools.lru_cache(maxsize=4096)
def ascii_slug(text: str) -> str:
    """Lower-case ASCII rendering of ``text`` for logins (``Zoë`` -> ``zoe``)."""
    decomposed = unicodedata.normalize("NFKD", text.replace("ø", "o").replace("Ø", "O").replace("Æ", "AE"))
    kept = "".join(ch for ch in decomposed if ch.isascii() and (ch.isalnum() or ch in "-"))
    return kept.lower() or "user"


def _digits(rng: random.Random, pattern: str) -> str:
    """Fill each ``#`` of ``pattern`` with a random digit (one draw per pattern: 100k users stay fast)."""
    count = pattern.count("#")
    if not count:
        return pattern
    return pattern.replace("#", "{}").format(*_draw_digits(rng, count))


def _draw_digits(rng: random.Random, count: int) -> str:
    """``count`` random digits in one draw (the same draw :func:`_digits` makes for ``count`` #s)."""
    return f"{rng.randrange(10**count):0{count}d}" if count else ""


def _phone(rng: random.Random, place: Place, roll: float) -> str:
    """A phone at ``place``: digits drawn for its own format, written as real directories do."""
    digits = _draw_digits(rng, place.phone_format.count("#"))
    digits = place.first_digit[int(digits[0])] + digits[1:]
    return phone(digits, place, roll)


def _ms(rng: random.Random, base: datetime, max_days: float) -> datetime:
    """``base`` plus a random offset up to ``max_days``, in Okta's whole seconds (``.000Z``, FACTS.md §8).

    The offset is still drawn in milliseconds, so the draws (and every id) are the ones they were
    when stamps kept milliseconds; whole-second bases give whole-second results.
    """
    return base + timedelta(seconds=rng.randrange(max(1, int(max_days * 86_400_000))) // 1000)


@dataclass(slots=True)
class _Identity:
    """Who a seeded teammate is, before the profile is filled in."""

    first: str
    last: str
    local: str
    dept_index: int
    place: Place | None
    extras: dict[str, Any]
    status: str


def _identity(rng: random.Random, index: int, places_by_city: dict[str, Place]) -> _Identity:
    """The edge case for ``index``, or random names, department, place and status."""
    if index < len(SPECIAL_TEAMMATES):
        first, last, local, dept_index, city, extras = SPECIAL_TEAMMATES[index]
        return _Identity(first, last, local, dept_index, places_by_city.get(city), dict(extras), "ACTIVE")
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    local = f"{ascii_slug(first)}.{ascii_slug(last)}"
    dept_index = rng.randrange(len(DEPARTMENTS))
    place = rng.choice(PLACES)
    status_slot = index - len(SPECIAL_TEAMMATES)
    if status_slot < len(USER_STATUSES) - 1:
        # Every non-ACTIVE status appears at least once, right after the edge cases.
        status = USER_STATUSES[1:][status_slot]
    else:
        roll = rng.random()
        status = "ACTIVE" if roll < 0.86 else rng.choice(USER_STATUSES[1:])
    return _Identity(first, last, local, dept_index, place, {}, status)


def _unique_login(local: str, existing_logins: set[str], next_suffix: dict[str, int]) -> str:
    """``local@domain``, or with the next free number (remembered: probing is quadratic at 100k)."""
    login = f"{local}@{EMAIL_DOMAIN}"
    suffix = next_suffix.get(local, 2)
    while login.lower() in existing_logins:
        login = f"{local}{suffix}@{EMAIL_DOMAIN}"
        suffix += 1
    next_suffix[local] = suffix
    existing_logins.add(login.lower())
    return login


def _custom_values(rng: random.Random, place: Place, status: str, *, is_manager: bool) -> dict[str, Any]:
    """The non-string custom attributes, drawn from their own rng (the same draws for everyone).

    Unset ones are left out, as real responses do (FACTS.md §2): not-yet-started teammates
    (STAGED, PROVISIONED) have no ``yearsOfService`` or ``fte``; about one in ten has no ``languages``.
    """
    # Plain random() draws: randrange/choice cost ~20x more, which shows at 100,000 users.
    draw = rng.random
    languages = [LANGUAGE_NAMES.get(place.language, "English")]
    second = SECOND_LANGUAGES[int(draw() * len(SECOND_LANGUAGES))]
    if draw() < 0.4 and second not in languages:
        languages.append(second)
    no_languages = draw() < 0.1
    started = status not in ("STAGED", "PROVISIONED")
    years = int(draw() * 25)
    fte = FTE_VALUES[int(draw() * len(FTE_VALUES))]
    values: dict[str, Any] = {"isManager": is_manager}
    if not no_languages:
        values["languages"] = languages
    if started:
        values["yearsOfService"] = years
        values["fte"] = fte
    return values


def _profile(
    rng: random.Random,
    who: _Identity,
    login: str,
    index: int,
    managers: list[UserRecord],
    custom: dict[str, Any],
    traits: RealTraits,
) -> dict[str, Any]:
    """The required attributes, plus the rest of a full profile when the teammate has a place."""
    profile: dict[str, Any] = {"login": login, "firstName": who.first, "lastName": who.last, "email": login}
    place = who.place
    if place is not None:
        department, division, titles = DEPARTMENTS[who.dept_index]
        # Keyword arguments are evaluated left to right: the rng draws keep this order.
        profile.update(
            title=rng.choice(titles),
            displayName=f"{who.first} {who.last}",
            primaryPhone=_phone(rng, place, traits.primary_phone),
            streetAddress=place.street.format(n=rng.randrange(1, 400)),
            city=place.city,
            zipCode=_digits(rng, place.zip_format),
            countryCode=place.country,
            preferredLanguage=place.language,
            locale=place.locale,
            timezone=place.timezone,
            userType="Employee",
            employeeNumber=f"E{100000 + index}",
            organization="Signet Demo Ltd",
            division=division,
            department=department,
        )
        if not traits.keeps_display_name:
            # Real users almost never have one (1 of 209); the hand-written extras may add it back.
            del profile["displayName"]
        if place.state is not None:
            profile["state"] = place.state
        _optional_attributes(rng, profile, place, login, traits)
        if managers and index > 0:
            manager = managers[rng.randrange(len(managers))]
            boss = manager.profile
            profile["manager"] = boss.get("displayName") or f"{boss['firstName']} {boss['lastName']}"
            profile["managerId"] = manager.id
        profile.update(custom)
    profile.update(who.extras)
    return profile


def _optional_attributes(
    rng: random.Random, profile: dict[str, Any], place: Place, login: str, traits: RealTraits
) -> None:
    if rng.random() < 0.6:
        profile["mobilePhone"] = _phone(rng, place, traits.mobile_phone)
    if rng.random() < 0.3:
        profile["pronouns"] = rng.choice(PRONOUNS)
    if rng.random() < 0.25:
        profile["linkedinUrl"] = f"https://www.linkedin.com/in/{login.split('@')[0].replace('.', '-')}"


def _record(rng: random.Random, status: str, profile: dict[str, Any], type_id: str) -> UserRecord:
    """Timestamps consistent with ``status``, then the id (drawn last, as always)."""
    # Everything below stays at least ~45 days before ANCHOR: 900 - 800 - 20 - 30 - 5.
    created = _ms(rng, ANCHOR - timedelta(days=900), 800)
    activated = None if status in ("STAGED", "PROVISIONED") else created + timedelta(minutes=5)
    changed_at = _ms(rng, activated or created, 20)
    status_changed = changed_at if status != "ACTIVE" or rng.random() < 0.5 else activated
    last_login = (
        _ms(rng, activated, 30) if activated is not None and status not in ("DEPROVISIONED",) else None
    )
    password_changed = activated + timedelta(minutes=2) if activated is not None else None
    moments = [m for m in (created, activated, status_changed, last_login, password_changed) if m]
    last_updated = _ms(rng, max(moments), 5)
    return UserRecord(
        id=okta_id(USER_PREFIX, rng),
        status=status,
        created=created,
        activated=activated,
        status_changed=status_changed,
        last_login=last_login,
        last_updated=last_updated,
        password_changed=password_changed,
        type_id=type_id,
        profile=profile,
        password=USER_PASSWORD,
    )


def generate_users(
    rng: random.Random,
    count: int,
    *,
    type_id: str,
    existing_logins: set[str],
    custom_rng: random.Random | None = None,
    real_rng: random.Random | None = None,
) -> Iterator[UserRecord]:
    """Yield ``count`` deterministic teammates drawn from ``rng``.

    ``custom_rng`` draws the non-string custom attributes and ``real_rng`` the real-data traits
    (:mod:`okta_sandbox.seed_real`). They are separate from ``rng`` so that adding them changed no
    id or other value; callers seed them from the org seed.
    """
    custom_rng = custom_rng if custom_rng is not None else random.Random("custom-attributes")
    real_rng = real_rng if real_rng is not None else random.Random("real-data")
    places_by_city = {place.city: place for place in PLACES}
    next_suffix: dict[str, int] = {}
    managers: list[UserRecord] = []
    deactivation_shown = False
    for index in range(count):
        traits = RealTraits.draw(real_rng)
        who = _identity(rng, index, places_by_city)
        login = _unique_login(who.local, existing_logins, next_suffix)
        # A bounded pool of managers keeps reporting lines shallow and realistic.
        is_manager = who.status == "ACTIVE" and who.place is not None and len(managers) < max(3, count // 8)
        status, moving_to = _status(
            traits, index, who.status, is_manager=is_manager, show_deactivation=not deactivation_shown
        )
        deactivation_shown = deactivation_shown or moving_to == "DEPROVISIONED"
        custom = {}
        if who.place is not None:
            custom = _custom_values(custom_rng, who.place, status, is_manager=is_manager)
            custom.update(enum_values(traits, who.place))
        profile = _profile(rng, who, login, index, managers, custom, traits)
        # Times are drawn for the drawn status (the main rng's draws stay the same), then settled.
        user = _record(rng, who.status, profile, type_id)
        user.status = status
        user.transitioning_to_status = moving_to
        settle_timestamps(user, who.status)
        if is_manager:
            managers.append(user)
        yield user


# The first teammate drawn at random: right after the hand-written ones and the seven status slots.
_FIRST_DRAWN = len(SPECIAL_TEAMMATES) + len(USER_STATUSES) - 1


def _status(
    traits: RealTraits, index: int, drawn: str, *, is_manager: bool, show_deactivation: bool
) -> tuple[str, str | None]:
    """The final status and ``transitioningToStatus``.

    Both transitions show up early, so small test orgs have them too: the first drawn teammate is
    STAGED and being activated (even if already a manager: a hire whose reports are set up before
    day one), and the next one drawn ACTIVE is being deactivated.
    """
    if index < _FIRST_DRAWN:
        return drawn, None
    if index == _FIRST_DRAWN:
        return "STAGED", "ACTIVE"
    if show_deactivation and drawn == "ACTIVE":
        return drawn, "DEPROVISIONED"
    status = final_status(traits, drawn, is_manager=is_manager)
    return status, transitioning(traits, status)
