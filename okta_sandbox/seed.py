"""Seeded, deterministic teammates: realistic, international, and deliberately awkward.

The same ``seed`` and ``count`` always give the same users (ids included). The first
teammates are hand-written edge cases (accents, non-Latin scripts, apostrophes,
ampersands, missing fields); the next seven carry every non-ACTIVE status; the rest
are drawn from the tables below.
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

EMAIL_DOMAIN = "signet-demo.example"
# Seed timestamps are relative to a fixed anchor, not to the wall clock, so data is identical
# on every run; later changes stamp the sandbox clock (which is after the anchor).
ANCHOR = datetime(2025, 1, 1, tzinfo=UTC)
# Documented password for seeded (non-admin) users, so tests can sign in as an unassigned user.
USER_PASSWORD = "Teammate-1"  # noqa: S105 - documented fake credential


@dataclass(frozen=True, slots=True)
class _Place:
    city: str
    state: str | None
    country: str
    timezone: str
    locale: str
    language: str
    street: str
    zip_format: str
    phone_format: str


# Phone formats use each country's own grouping; "#" is a random digit.
_PLACES: tuple[_Place, ...] = (
    _Place(
        "San Francisco",
        "CA",
        "US",
        "America/Los_Angeles",
        "en_US",
        "en",
        "{n} Market St",
        "941##",
        "+1 415-555-0###",
    ),
    _Place(
        "New York", "NY", "US", "America/New_York", "en_US", "en", "{n} Broadway", "100##", "(212) 555-0###"
    ),
    _Place(
        "Austin", "TX", "US", "America/Chicago", "en_US", "en", "{n} Congress Ave", "787##", "+1 512 555 0###"
    ),
    _Place(
        "Toronto", "ON", "CA", "America/Toronto", "en_CA", "en", "{n} King St W", "M5V 2T6", "+1 416-555-0###"
    ),
    _Place(
        "London",
        None,
        "GB",
        "Europe/London",
        "en_GB",
        "en",
        "{n} Shoreditch High St",
        "E1 6PG",
        "+44 20 7946 0###",
    ),
    _Place(
        "Dublin",
        None,
        "IE",
        "Europe/Dublin",
        "en_IE",
        "en",
        "{n} Grand Canal Dock",
        "D02 X285",
        "+353 1 555 ####",
    ),
    _Place(
        "Paris", None, "FR", "Europe/Paris", "fr_FR", "fr", "{n} rue de Rivoli", "750##", "+33 1 ## ## ## ##"
    ),
    _Place(
        "Berlin",
        None,
        "DE",
        "Europe/Berlin",
        "de_DE",
        "de",
        "Friedrichstraße {n}",
        "101##",
        "+49 30 ########",
    ),
    _Place(
        "Madrid",
        None,
        "ES",
        "Europe/Madrid",
        "es_ES",
        "es",
        "Calle de Alcalá {n}",
        "280##",
        "+34 91 ### ## ##",
    ),
    _Place(
        "São Paulo",
        "SP",
        "BR",
        "America/Sao_Paulo",
        "pt_BR",
        "pt",
        "Avenida Paulista, {n}",
        "01310-###",
        "+55 11 9####-####",
    ),
    _Place(
        "Bengaluru", "KA", "IN", "Asia/Kolkata", "en_IN", "en", "{n} MG Road", "5600##", "+91 98### #####"
    ),
    _Place(
        "Tokyo",
        None,
        "JP",
        "Asia/Tokyo",
        "ja_JP",
        "ja",
        "{n}-1 Marunouchi, Chiyoda-ku",
        "100-0005",
        "+81 3-####-####",
    ),
    _Place(
        "Sydney", "NSW", "AU", "Australia/Sydney", "en_AU", "en", "{n} George St", "2000", "+61 2 #### ####"
    ),
    _Place(
        "Ærøskøbing",
        None,
        "DK",
        "Europe/Copenhagen",
        "da_DK",
        "da",
        "Vestergade {n}",
        "5970",
        "+45 62 ## ## ##",
    ),
)

_FIRST = (
    "Alice",
    "Bruno",
    "Chloé",
    "Daniel",
    "Elif",
    "Farah",
    "Gustavo",
    "Hannah",
    "Ines",
    "Jonas",
    "Kwame",
    "Laura",
    "Mateo",
    "Nadia",
    "Oliver",
    "Priya",
    "Quentin",
    "Rosa",
    "Samuel",
    "Tariq",
    "Uma",
    "Victor",
    "Wei",
    "Ximena",
    "Yusuf",
    "Zara",
    "Amélie",
    "Björn",
    "Ciarán",
    "Dagný",
    "Émile",
    "Fatima",
    "Grace",
    "Hiroshi",
    "Isabel",
    "Jakub",
    "Kenji",
    "Leïla",
    "Marco",
    "Noor",
    "Olga",
    "Pedro",
    "Rahul",
    "Sofía",
    "Thomas",
    "Aoife",
    "Lucas",
    "Maya",
    "Ethan",
    "Ava",
)
_LAST = (
    "Smith",
    "García",
    "Müller",
    "Rossi",
    "Nguyen",
    "Kowalski",
    "Okafor",
    "Johansson",
    "Dubois",
    "Tanaka",
    "Patel",
    "Silva",
    "Kim",
    "Schmidt",
    "Hernández",
    "Murphy",
    "O'Connor",
    "Van der Berg",
    "Lefèvre",
    "Chen",
    "Ivanova",
    "Haddad",
    "Andersen",
    "Costa",
    "Singh",
    "Brown",
    "Fernández",
    "Yamamoto",
    "Novak",
    "Jensen",
    "Walker",
    "Łukasiewicz",
    "Mendes",
    "Khan",
    "Bianchi",
    "Sato",
    "Ahmed",
    "Larsen",
    "Moreau",
    "Wilson",
)
# (department, division, titles)
_DEPARTMENTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "Engineering",
        "Product & Technology",
        ("Software Engineer", "Senior Software Engineer", "Staff Engineer", "Engineering Manager"),
    ),
    ("R&D", "Product & Technology", ("Research Scientist", "Principal Researcher", "Lab Manager")),
    ("Product", "Product & Technology", ("Product Manager", "Senior Product Designer", "Head of Product")),
    ("Sales", "Go-to-Market", ("Account Executive", "Sales Development Rep", "VP Sales, EMEA")),
    ("Marketing", "Go-to-Market", ("Content Marketer", "Brand & Events Lead", "Growth Marketing Manager")),
    (
        "Customer Success",
        "Go-to-Market",
        ("Customer Success Manager", "Support Engineer", "Onboarding Specialist"),
    ),
    ("Finance", "G&A", ("Financial Analyst", "Controller", "Accounts Payable Specialist")),
    ("People", "G&A", ("People Partner", "Recruiter", "Head of People & Culture")),
    ("Legal", "G&A", ("Counsel", "Paralegal", "General Counsel")),
)
_PRONOUNS = ("she/her", "he/him", "they/them")

CUSTOM_ATTRIBUTES: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("pronouns", "Pronouns", {"description": "Pronouns shown in the email signature", "maxLength": 30}),
    (
        "linkedinUrl",
        "LinkedIn URL",
        {"description": "Public LinkedIn profile URL", "unique": "UNIQUE_VALIDATED", "maxLength": 200},
    ),
)

# Hand-written edge cases: (firstName, lastName, login local part, department index, place city, extras).
_SPECIAL: tuple[tuple[str, str, str, int, str, dict[str, Any]], ...] = (
    ("Zoë", "Faure", "zoe.faure", 4, "Paris", {"pronouns": "she/her", "honorificPrefix": "Dr."}),
    ("José", "Núñez", "jose.nunez", 3, "Madrid", {"middleName": "María", "nickName": "Pepe"}),
    ("娜", "李", "li.na", 0, "Tokyo", {"displayName": "李娜", "pronouns": "she/her"}),
    (
        "Søren",
        "Ærø",
        "soren.aero",
        1,
        "Ærøskøbing",
        {"linkedinUrl": "https://www.linkedin.com/in/soren-aero"},
    ),
    ("Siobhán", "O'Brien", "siobhan.obrien", 1, "Dublin", {"title": "Head of R&D", "pronouns": "she/her"}),
    ("Дмитрий", "Иванов", "dmitry.ivanov", 0, "Berlin", {"honorificSuffix": "PhD"}),
    ("Sam", "Lee", "sam.lee", 5, "", {}),  # only the required attributes: every optional field missing
    ("Ana-Lucía", "D'Souza", "ana.dsouza", 6, "Bengaluru", {"costCenter": "CC-100 & CC-200"}),
)


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
    digits = f"{rng.randrange(10**count):0{count}d}"
    return pattern.replace("#", "{}").format(*digits)


def _ms(rng: random.Random, base: datetime, max_days: float) -> datetime:
    """``base`` plus a random offset up to ``max_days``, with Okta's millisecond precision."""
    return base + timedelta(milliseconds=rng.randrange(max(1, int(max_days * 86_400_000))))


def generate_users(
    rng: random.Random, count: int, *, type_id: str, existing_logins: set[str]
) -> Iterator[UserRecord]:
    """Yield ``count`` deterministic teammates drawn from ``rng``."""
    places_by_city = {place.city: place for place in _PLACES}
    next_suffix: dict[str, int] = {}
    managers: list[UserRecord] = []
    for index in range(count):
        if index < len(_SPECIAL):
            first, last, local, dept_index, city, extras = _SPECIAL[index]
            place: _Place | None = places_by_city.get(city)
            status = "ACTIVE"
        else:
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            local = f"{ascii_slug(first)}.{ascii_slug(last)}"
            dept_index = rng.randrange(len(_DEPARTMENTS))
            place = rng.choice(_PLACES)
            extras = {}
            status_slot = index - len(_SPECIAL)
            if status_slot < len(USER_STATUSES) - 1:
                # Every non-ACTIVE status appears at least once, right after the edge cases.
                status = USER_STATUSES[1:][status_slot]
            else:
                roll = rng.random()
                status = "ACTIVE" if roll < 0.86 else rng.choice(USER_STATUSES[1:])
        login = f"{local}@{EMAIL_DOMAIN}"
        # Remember the next free suffix per name: probing from 2 each time is quadratic at 100k users.
        suffix = next_suffix.get(local, 2)
        while login.lower() in existing_logins:
            login = f"{local}{suffix}@{EMAIL_DOMAIN}"
            suffix += 1
        next_suffix[local] = suffix
        existing_logins.add(login.lower())

        department, division, titles = _DEPARTMENTS[dept_index]
        profile: dict[str, Any] = {"login": login, "firstName": first, "lastName": last, "email": login}
        if place is not None:
            profile.update(
                title=rng.choice(titles),
                displayName=f"{first} {last}",
                primaryPhone=_digits(rng, place.phone_format),
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
            if place.state is not None:
                profile["state"] = place.state
            if rng.random() < 0.6:
                profile["mobilePhone"] = _digits(rng, place.phone_format)
            if rng.random() < 0.3:
                profile["pronouns"] = rng.choice(_PRONOUNS)
            if rng.random() < 0.25:
                profile["linkedinUrl"] = (
                    f"https://www.linkedin.com/in/{login.split('@')[0].replace('.', '-')}"
                )
            if managers and index > 0:
                manager = managers[rng.randrange(len(managers))]
                profile["manager"] = manager.profile.get("displayName", manager.profile["firstName"])
                profile["managerId"] = manager.id
        profile.update(extras)

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
        user = UserRecord(
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
        # A bounded pool of managers keeps reporting lines shallow and realistic.
        if status == "ACTIVE" and place is not None and len(managers) < max(3, count // 8):
            managers.append(user)
        yield user
