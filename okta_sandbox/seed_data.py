"""The tables the seed draws teammates from: places, names, departments, custom attributes.

Phone and zip formats use each country's own grouping; ``#`` is a random digit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Place:
    """A city with its formats: where a seeded teammate works."""

    city: str
    state: str | None
    country: str
    timezone: str
    locale: str
    language: str
    street: str
    zip_format: str
    phone_format: str
    # The same number written nationally (no +country prefix, with the trunk prefix), as many
    # real orgs store it; it has as many "#" as ``phone_format``, so both use the same draw.
    national_format: str
    office: str  # the ``officeCode`` enum value of the office there
    # The phone's first drawn digit, mapped: digit d becomes first_digit[d]. Some first digits make a
    # number no one can dial (Tokyo 03-0…, Sydney 02 3…/4…/5…, Denmark 62 0…); only the invalid
    # ones are remapped, so valid numbers stay as drawn and invalid ones appear only on purpose.
    first_digit: str = "0123456789"


# Phone formats use each country's own grouping; "#" is a random digit.
PLACES: tuple[Place, ...] = (
    Place(
        "San Francisco",
        "CA",
        "US",
        "America/Los_Angeles",
        "en_US",
        "en",
        "{n} Market St",
        "941##",
        "+1 415-555-0###",
        "(415) 555-0###",
        "SFO",
    ),
    Place(
        "New York",
        "NY",
        "US",
        "America/New_York",
        "en_US",
        "en",
        "{n} Broadway",
        "100##",
        "(212) 555-0###",
        "(212) 555-0###",
        "NYC",
    ),
    Place(
        "Austin",
        "TX",
        "US",
        "America/Chicago",
        "en_US",
        "en",
        "{n} Congress Ave",
        "787##",
        "+1 512 555 0###",
        "512-555-0###",
        "AUS",
    ),
    Place(
        "Toronto",
        "ON",
        "CA",
        "America/Toronto",
        "en_CA",
        "en",
        "{n} King St W",
        "M5V 2T6",
        "+1 416-555-0###",
        "(416) 555-0###",
        "YYZ",
    ),
    Place(
        "London",
        None,
        "GB",
        "Europe/London",
        "en_GB",
        "en",
        "{n} Shoreditch High St",
        "E1 6PG",
        "+44 20 7946 0###",
        "020 7946 0###",
        "LON",
    ),
    Place(
        "Dublin",
        None,
        "IE",
        "Europe/Dublin",
        "en_IE",
        "en",
        "{n} Grand Canal Dock",
        "D02 X285",
        "+353 1 555 ####",
        "01 555 ####",
        "DUB",
    ),
    Place(
        "Paris",
        None,
        "FR",
        "Europe/Paris",
        "fr_FR",
        "fr",
        "{n} rue de Rivoli",
        "750##",
        "+33 1 ## ## ## ##",
        "01 ## ## ## ##",
        "PAR",
    ),
    Place(
        "Berlin",
        None,
        "DE",
        "Europe/Berlin",
        "de_DE",
        "de",
        "Friedrichstraße {n}",
        "101##",
        "+49 30 ########",
        "030 ########",
        "BER",
    ),
    Place(
        "Madrid",
        None,
        "ES",
        "Europe/Madrid",
        "es_ES",
        "es",
        "Calle de Alcalá {n}",
        "280##",
        "+34 91 ### ## ##",
        "91 ### ## ##",
        "MAD",
    ),
    Place(
        "São Paulo",
        "SP",
        "BR",
        "America/Sao_Paulo",
        "pt_BR",
        "pt",
        "Avenida Paulista, {n}",
        "01310-###",
        "+55 11 9####-####",
        "(11) 9####-####",
        "SAO",
    ),
    Place(
        "Bengaluru",
        "KA",
        "IN",
        "Asia/Kolkata",
        "en_IN",
        "en",
        "{n} MG Road",
        "5600##",
        "+91 98### #####",
        "098### #####",
        "BLR",
    ),
    Place(
        "Tokyo",
        None,
        "JP",
        "Asia/Tokyo",
        "ja_JP",
        "ja",
        "{n}-1 Marunouchi, Chiyoda-ku",
        "100-0005",
        "+81 3-####-####",
        "03-####-####",
        "TYO",
        first_digit="5123456789",
    ),
    Place(
        "Sydney",
        "NSW",
        "AU",
        "Australia/Sydney",
        "en_AU",
        "en",
        "{n} George St",
        "2000",
        "+61 2 #### ####",
        "(02) #### ####",
        "SYD",
        first_digit="0129996789",
    ),
    Place(
        "Ærøskøbing",
        None,
        "DK",
        "Europe/Copenhagen",
        "da_DK",
        "da",
        "Vestergade {n}",
        "5970",
        "+45 62 ## ## ##",
        "62 ## ## ##",
        "REMOTE",
        first_digit="2123456789",
    ),
)

FIRST_NAMES = (
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
LAST_NAMES = (
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
DEPARTMENTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
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
PRONOUNS = ("she/her", "he/him", "they/them")

# Enum attributes: each value (Okta's ``const``) with its display title, as an admin defines them in
# the Profile Editor; the schema carries both ``enum`` and ``oneOf`` (SPEC-M ``UserSchemaAttribute``,
# ``UserSchemaAttributeEnum``; FACTS.md §3). Real values look like "ONE"; only the title reads well.
OFFICES: tuple[tuple[str, str], ...] = (
    ("SFO", "San Francisco office"),
    ("NYC", "New York office"),
    ("AUS", "Austin office"),
    ("YYZ", "Toronto office"),
    ("LON", "London office"),
    ("DUB", "Dublin office"),
    ("PAR", "Paris office"),
    ("BER", "Berlin office"),
    ("MAD", "Madrid office"),
    ("SAO", "São Paulo office"),
    ("BLR", "Bengaluru office"),
    ("TYO", "Tokyo office"),
    ("SYD", "Sydney office"),
    ("REMOTE", "Remote"),
)
CERTIFICATIONS: tuple[tuple[str, str], ...] = (
    ("PMP", "Project Management Professional"),
    ("CPA", "Certified Public Accountant"),
    ("CISSP", "Certified Information Systems Security Professional"),
    ("AWS_SAA", "AWS Certified Solutions Architect"),
    ("SHRM_CP", "SHRM Certified Professional"),
)


def _enum(values: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """``enum`` plus ``oneOf`` (const -> title), in that order, for an enum attribute or its items."""
    return {
        "enum": [const for const, _ in values],
        "oneOf": [{"const": const, "title": title} for const, title in values],
    }


# (name, title, type, extra): the org's custom profile attributes, in schema order.
CUSTOM_ATTRIBUTES: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    (
        "pronouns",
        "Pronouns",
        "string",
        {"description": "Pronouns shown in the email signature", "maxLength": 30},
    ),
    (
        "linkedinUrl",
        "LinkedIn URL",
        "string",
        {"description": "Public LinkedIn profile URL", "unique": "UNIQUE_VALIDATED", "maxLength": 200},
    ),
    # Real orgs carry non-string custom attributes too (FACTS.md §8): arrays, integers, numbers,
    # booleans, and attributes present with a null value.
    (
        "languages",
        "Languages",
        "array",
        {"description": "Languages the teammate works in", "items": {"type": "string"}},
    ),
    ("yearsOfService", "Years of service", "integer", {"description": "Whole years since the start date"}),
    ("fte", "FTE", "number", {"description": "Full-time equivalent (1.0 is full time)"}),
    ("isManager", "Is a people manager", "boolean", {"description": "Has direct reports"}),
    # Enum attributes, a string and an array whose items are enums (real orgs have both).
    (
        "officeCode",
        "Office",
        "string",
        {"description": "The office the teammate works from", **_enum(OFFICES)},
    ),
    (
        "certifications",
        "Certifications",
        "array",
        {"description": "Professional certifications", "items": {"type": "string", **_enum(CERTIFICATIONS)}},
    ),
)
LANGUAGE_NAMES = {
    "en": "English",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "pt": "Portuguese",
    "ja": "Japanese",
    "da": "Danish",
}
SECOND_LANGUAGES = ("English", "Spanish", "French", "German", "Mandarin", "Hindi", "Arabic", "Italian")
FTE_VALUES = (1.0, 1.0, 1.0, 1.0, 0.8, 0.6, 0.5)

# Hand-written edge cases: (firstName, lastName, login local part, department index, place city, extras).
SPECIAL_TEAMMATES: tuple[tuple[str, str, str, int, str, dict[str, Any]], ...] = (
    (
        "Zoë",
        "Faure",
        "zoe.faure",
        4,
        "Paris",
        {"pronouns": "she/her", "honorificPrefix": "Dr.", "languages": ["English", "French"]},
    ),
    # Present with null values, as real profiles send unset custom attributes.
    (
        "José",
        "Núñez",
        "jose.nunez",
        3,
        "Madrid",
        {"middleName": "María", "nickName": "Pepe", "fte": None, "languages": None},
    ),
    ("娜", "李", "li.na", 0, "Tokyo", {"displayName": "李娜", "pronouns": "she/her", "fte": 0.8}),
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
