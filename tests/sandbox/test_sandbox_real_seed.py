"""The seed sends what real orgs send (issue 16; FACTS §2, §3, §8): most teammates without
displayName, realistic statuses and transitions, enum attributes with oneOf titles, national phones,
unset attributes omitted rather than null; while ids, logins and names stay what they were."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import phonenumbers
import pytest

from okta_sandbox import OktaSandbox
from okta_sandbox.seed_data import CERTIFICATIONS, OFFICES
from okta_sandbox.seed_real import INVALID_PHONES
from okta_sandbox.specs import SpecValidator
from tests.sandbox.test_sandbox_users import search_ids

# Sent as null when unset (FACTS §2); every other unset attribute is left out.
ALWAYS_SENT = {"mobilePhone", "secondEmail"}
NOT_STARTED = {"STAGED", "PROVISIONED"}


@pytest.fixture(scope="module")
def big_org() -> list[dict[str, Any]]:
    """Every user of a 600-teammate org (enough for shares to settle)."""
    return OktaSandbox(seed=1, users=600).list_users(include_deprovisioned=True)


def _all_pages(http: httpx.Client, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Every user over HTTP, DEPROVISIONED included (a search), following next links."""
    users: list[dict[str, Any]] = []
    url: str | None = "/api/v1/users?search=id%20pr&limit=7"
    while url:
        response = http.get(url, headers=headers)
        assert response.status_code == 200
        users.extend(response.json())
        url = response.links.get("next", {}).get("url")
    return users


def test_most_teammates_have_no_display_name(
    big_org: list[dict[str, Any]], http: httpx.Client, admin_headers: dict[str, str]
) -> None:
    """Real users almost never have displayName (1 of 209): about one in eight here, names always."""
    with_name = [user for user in big_org if "displayName" in user["profile"]]
    assert 0.07 < len(with_name) / len(big_org) < 0.2
    assert all(user["profile"]["firstName"] and user["profile"]["lastName"] for user in big_org)
    li_na = next(user for user in big_org if user["profile"]["login"].startswith("li.na@"))
    assert li_na["profile"]["displayName"] == "李娜"  # differs from firstName + lastName
    # The 25-teammate org the tests use: most of it has no displayName either, over HTTP.
    small = _all_pages(http, admin_headers)
    assert sum("displayName" not in user["profile"] for user in small) > len(small) * 0.7
    # A manager's name is still written out in full for their reports.
    managed = [user for user in big_org if "managerId" in user["profile"]]
    by_id = {user["id"]: user["profile"] for user in big_org}
    for user in managed:
        boss = by_id[user["profile"]["managerId"]]
        assert user["profile"]["manager"] == boss.get(
            "displayName", f"{boss['firstName']} {boss['lastName']}"
        )


def test_statuses_have_a_realistic_share(big_org: list[dict[str, Any]]) -> None:
    """Beyond the seven hand-placed ones, STAGED (about 6 %, as in real data), PROVISIONED,
    PASSWORD_EXPIRED, RECOVERY and LOCKED_OUT recur; not-yet-started teammates never signed in."""
    counts = Counter(user["status"] for user in big_org)
    assert 0.65 < counts["ACTIVE"] / len(big_org) < 0.85
    for status in ("STAGED", "PROVISIONED", "PASSWORD_EXPIRED", "RECOVERY", "LOCKED_OUT"):
        assert counts[status] >= 6, (status, counts)
    assert 0.03 < counts["STAGED"] / len(big_org) < 0.1
    for user in big_org:
        if user["status"] in NOT_STARTED:
            assert user["activated"] is None and user["lastLogin"] is None, user["id"]
            assert user["passwordChanged"] is None and "password" not in user["credentials"]
            assert "yearsOfService" not in user["profile"] and "fte" not in user["profile"]


def test_a_few_users_are_transitioning(
    http: httpx.Client, admin_headers: dict[str, str], org: OktaSandbox, okta_spec: SpecValidator
) -> None:
    """transitioningToStatus (SPEC-M User): a STAGED teammate being activated and an ACTIVE one being
    deactivated, even in small orgs; sent right after status, only while set; valid per spec."""
    users = _all_pages(http, admin_headers)
    moving = {
        (user["status"], user.get("transitioningToStatus"))
        for user in users
        if "transitioningToStatus" in user
    }
    assert moving == {("STAGED", "ACTIVE"), ("ACTIVE", "DEPROVISIONED")}
    staged = next(user for user in users if user.get("transitioningToStatus") == "ACTIVE")
    assert list(staged)[:3] == ["id", "status", "transitioningToStatus"]
    single = http.get(f"/api/v1/users/{staged['id']}", headers=admin_headers).json()
    okta_spec.validate("User", single)
    assert single["transitioningToStatus"] == "ACTIVE"
    assert sum("transitioningToStatus" in user for user in users) == 2
    # Completing the change clears it, as Okta does when the asynchronous operation ends.
    assert "transitioningToStatus" not in org.set_status(staged["id"], "ACTIVE")
    share = sum("transitioningToStatus" in user for user in OktaSandbox(seed=2, users=2000).list_users())
    assert 5 <= share <= 80  # "a few"


def test_transitioning_status_survives_the_state_file(tmp_path: Path) -> None:
    """The state file keeps transitioningToStatus."""
    org = OktaSandbox(seed=1, users=25, state_file=tmp_path / "org.json")
    before = [user for user in org.list_users(include_deprovisioned=True) if "transitioningToStatus" in user]
    org.close()
    loaded = OktaSandbox(state_file=tmp_path / "org.json")
    after = [
        user for user in loaded.list_users(include_deprovisioned=True) if "transitioningToStatus" in user
    ]
    loaded.close()
    assert before and after == before


def test_schema_has_enum_attributes_with_one_of_titles(
    http: httpx.Client, admin_headers: dict[str, str], okta_spec: SpecValidator
) -> None:
    """officeCode (string) and certifications (array whose items are enums) carry enum + oneOf
    (const -> title), as the Profile Editor defines them (SPEC-M UserSchemaAttribute/-Items)."""
    schema = http.get("/api/v1/meta/schemas/user/default", headers=admin_headers).json()
    okta_spec.validate("UserSchema", schema)
    custom = schema["definitions"]["custom"]["properties"]
    office = custom["officeCode"]
    assert office["type"] == "string" and office["enum"] == [code for code, _ in OFFICES]
    titles = {entry["const"]: entry["title"] for entry in office["oneOf"]}
    assert titles["LON"] == "London office" and titles["NYC"] == "New York office"
    assert list(titles) == office["enum"]
    items = custom["certifications"]["items"]
    assert custom["certifications"]["type"] == "array" and items["type"] == "string"
    assert items["enum"] == [code for code, _ in CERTIFICATIONS]
    assert {entry["const"]: entry["title"] for entry in items["oneOf"]}[
        "PMP"
    ] == "Project Management Professional"


def test_users_carry_enum_values(
    big_org: list[dict[str, Any]], http: httpx.Client, admin_headers: dict[str, str], org: OktaSandbox
) -> None:
    """Users hold the enum's const values (never titles); many have none; search finds them."""
    offices = {code for code, _ in OFFICES}
    certifications = {code for code, _ in CERTIFICATIONS}
    values = [user["profile"].get("officeCode") for user in big_org]
    assert set(values) - {None} <= offices and len(set(values) - {None}) >= 10
    assert 0.05 < values.count(None) / len(values) < 0.25
    londoners = [user["profile"] for user in big_org if user["profile"].get("city") == "London"]
    assert {profile.get("officeCode") for profile in londoners} <= {"LON", "REMOTE", None}
    held = [user["profile"]["certifications"] for user in big_org if "certifications" in user["profile"]]
    assert held and all(set(codes) <= certifications for codes in held)
    assert any(len(codes) == 2 for codes in held)
    expected = sorted(
        u["id"] for u in org.list_users(include_deprovisioned=True) if u["profile"].get("officeCode") == "LON"
    )
    assert search_ids(http, admin_headers, search='profile.officeCode eq "LON"') == expected


def test_unset_attributes_are_omitted_not_null(http: httpx.Client, admin_headers: dict[str, str]) -> None:
    """Over HTTP, only mobilePhone and secondEmail come as null (always sent); other unset attributes
    are absent. José's hand-written profile is the one exception, sending two as null (FACTS §8)."""
    users = _all_pages(http, admin_headers)
    for user in users:
        profile = user["profile"]
        assert set(profile) >= ALWAYS_SENT, user["id"]
        nulls = {name for name, value in profile.items() if value is None} - ALWAYS_SENT
        assert nulls == ({"fte", "languages"} if profile["firstName"] == "José" else set()), nulls
    assert any("title" not in user["profile"] for user in users)  # Sam Lee: only the required four


def _kind(number: str) -> str:
    if number.startswith("+"):
        return "international"
    return (
        "invalid"
        if number in {form.split("{")[0] for form in INVALID_PHONES} or number.startswith("ext.")
        else "national"
    )


def _parsed(number: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None


def test_phones_are_national_international_and_sometimes_invalid(big_org: list[dict[str, Any]]) -> None:
    """National numbers from several countries (no +country: "020 7946 0123" in GB, "(415) 555-0123"
    in the US, "030 12345678" in DE) are valid with the teammate's own countryCode, and only then;
    international ones mix in; a few are not valid numbers at all."""
    kinds: Counter[str] = Counter()
    national_countries: set[str] = set()
    for user in big_org:
        profile = user["profile"]
        for attribute in ("primaryPhone", "mobilePhone"):
            number = profile.get(attribute)
            if number is None:
                continue
            kind = _kind(number)
            kinds[kind] += 1
            parsed = _parsed(number, profile["countryCode"])
            valid = parsed is not None and phonenumbers.is_valid_number(parsed)
            assert valid == (kind != "invalid"), (number, profile["countryCode"])
            if kind == "national":
                national_countries.add(profile["countryCode"])
    total = sum(kinds.values())
    assert 0.25 < kinds["national"] / total < 0.55 and kinds["international"] / total > 0.4
    assert 0.005 < kinds["invalid"] / total < 0.06
    assert {"GB", "US", "DE", "FR", "JP"} <= national_countries
    london = [u["profile"]["primaryPhone"] for u in big_org if u["profile"].get("city") == "London"]
    national_london = next(number for number in london if number.startswith("020 7946 0"))
    # The reason countryCode matters: read as a US number, a London national number is not valid.
    as_us = _parsed(national_london, "US")
    assert as_us is None or not phonenumbers.is_valid_number(as_us)
    assert any(number.isdigit() and not number.startswith("111") for u in big_org
               for number in [u["profile"].get("primaryPhone") or ""])  # fmt: skip


def test_real_data_traits_left_ids_names_and_drawn_values_unchanged() -> None:
    """The traits come from their own generator: ids, logins, names, times and the main generator's
    values are exactly those of the seed before the traits existed (digest taken from it)."""
    rows = [
        [user["id"], user["created"], user["lastUpdated"]]
        + [user["profile"].get(name) for name in _STABLE_ATTRIBUTES]
        for user in OktaSandbox(seed=1, users=60).list_users(include_deprovisioned=True)
    ]
    digest = hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()
    assert digest == _DIGEST_BEFORE_REAL_TRAITS


_STABLE_ATTRIBUTES = (
    "login",
    "firstName",
    "lastName",
    "title",
    "streetAddress",
    "zipCode",
    "department",
    "manager",
    "managerId",
    "pronouns",
    "linkedinUrl",
    "isManager",
)
_DIGEST_BEFORE_REAL_TRAITS = "42940f087b82a1491a96a51b27db8461e546778a656893b1d3179006c240e808"
