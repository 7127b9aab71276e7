"""Non-string profile values (FACTS §8): arrays, integers, numbers, booleans, nulls; typed in the schema."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from okta_sandbox import OktaSandbox
from okta_sandbox.specs import SpecValidator
from tests.sandbox.test_sandbox_users import search_ids

CUSTOM_TYPES = {"languages": list, "yearsOfService": int, "fte": float, "isManager": bool}


def _everyone(org: OktaSandbox) -> list[dict[str, Any]]:
    return org.list_users(include_deprovisioned=True)


def test_seed_has_real_non_string_values_and_nulls(org: OktaSandbox) -> None:
    """Arrays of strings, integers, numbers and booleans; unset ones omitted, and null only where a
    hand-written profile (José) sends it."""
    profiles = [user["profile"] for user in _everyone(org)]
    for name, kind in CUSTOM_TYPES.items():
        values = [profile[name] for profile in profiles if profile.get(name) is not None]
        assert values, name
        assert all(type(value) is kind for value in values), name
    assert all(isinstance(item, str) for profile in profiles for item in profile.get("languages") or [])
    assert any(len(profile.get("languages") or []) > 1 for profile in profiles)
    assert {profile.get("isManager") for profile in profiles} >= {True, False}
    # Real responses omit unset attributes (FACTS §2): not-yet-started teammates have no
    # yearsOfService or fte, some have no languages. José sends two as null (FACTS §8 saw nulls).
    for name in ("languages", "yearsOfService", "fte"):
        assert any(name not in profile for profile in profiles if "countryCode" in profile), name
    nulls = {(p["firstName"], name) for p in profiles for name, value in p.items() if value is None}
    assert {(first, name) for first, name in nulls if name not in ("mobilePhone", "secondEmail")} == {
        ("José", "fte"),
        ("José", "languages"),
    }
    zoe = next(profile for profile in profiles if profile["firstName"] == "Zoë")
    assert zoe["languages"] == ["English", "French"]
    # String attributes are still there.
    assert any(
        profile.get("title") and profile.get("department") and profile.get("mobilePhone")
        for profile in profiles
    )


def test_non_string_values_are_deterministic() -> None:
    """The same seed gives the same values; adding them kept the other data (ids included) stable."""
    first = OktaSandbox(seed=5, users=60).list_users(include_deprovisioned=True)
    again = OktaSandbox(seed=5, users=60).list_users(include_deprovisioned=True)
    assert first == again
    other = OktaSandbox(seed=6, users=60).list_users(include_deprovisioned=True)
    assert [user["profile"].get("yearsOfService") for user in first] != [
        user["profile"].get("yearsOfService") for user in other
    ]


def test_schema_declares_the_real_types(
    http: httpx.Client, admin_headers: dict[str, str], okta_spec: SpecValidator
) -> None:
    """definitions.custom.properties: array of strings, integer, number, boolean; valid UserSchema."""
    schema = http.get("/api/v1/meta/schemas/user/default", headers=admin_headers).json()
    okta_spec.validate("UserSchema", schema)
    custom = schema["definitions"]["custom"]["properties"]
    assert custom["languages"]["type"] == "array" and custom["languages"]["items"] == {"type": "string"}
    assert custom["yearsOfService"]["type"] == "integer"
    assert custom["fte"]["type"] == "number"
    assert custom["isManager"]["type"] == "boolean"


def test_users_with_typed_values_validate_and_keep_json_types(
    http: httpx.Client, admin_headers: dict[str, str], okta_spec: SpecValidator, org: OktaSandbox
) -> None:
    """Listed and single users carry JSON arrays, numbers, booleans and nulls, and validate as User."""
    users = http.get("/api/v1/users", params={"search": "id pr"}, headers=admin_headers).json()
    for user in users:
        okta_spec.validate("User", user)
    jose = next(user for user in users if user["profile"]["firstName"] == "José")
    assert jose["profile"]["fte"] is None and jose["profile"]["languages"] is None
    single = http.get(f"/api/v1/users/{jose['id']}", headers=admin_headers).json()
    okta_spec.validate("User", single)
    assert "fte" in single["profile"] and single["profile"]["fte"] is None
    assert isinstance(single["profile"]["isManager"], bool)


def test_search_on_non_string_values(
    http: httpx.Client, admin_headers: dict[str, str], org: OktaSandbox
) -> None:
    """Arrays match on any element; numbers and booleans compare as such; mismatched kinds never match."""
    everyone = _everyone(org)

    def expected(test: Any) -> list[str]:
        return sorted(user["id"] for user in everyone if test(user["profile"]))

    french = expected(lambda p: "French" in (p.get("languages") or []))
    assert french and search_ids(http, admin_headers, search='profile.languages eq "french"') == french
    assert search_ids(http, admin_headers, search='profile.languages sw "Fr"') == french
    managers = expected(lambda p: p.get("isManager") is True)
    assert managers and search_ids(http, admin_headers, search="profile.isManager eq true") == managers
    veterans = expected(lambda p: (p.get("yearsOfService") or 0) >= 20)
    assert search_ids(http, admin_headers, search="profile.yearsOfService ge 20") == veterans
    part_time = expected(lambda p: p.get("fte") is not None and p["fte"] < 1)
    assert part_time and search_ids(http, admin_headers, search="profile.fte lt 1") == part_time
    with_fte = expected(lambda p: p.get("fte") is not None)
    assert search_ids(http, admin_headers, search="profile.fte pr") == with_fte
    mismatched_kinds = (
        "profile.isManager eq 1",
        'profile.isManager eq "true"',
        "profile.yearsOfService eq true",
        "profile.languages gt 5",
        'profile.fte sw "1"',
    )
    for mismatched in mismatched_kinds:
        response = http.get("/api/v1/users", params={"search": mismatched}, headers=admin_headers)
        assert response.status_code == 200 and response.json() == [], mismatched


@pytest.mark.parametrize("q", ["Zo", "jose", "li.na"])
def test_q_and_plain_listing_do_not_trip_on_typed_values(
    http: httpx.Client, admin_headers: dict[str, str], q: str
) -> None:
    """q (prefix on names and email) and the plain list work with typed profiles."""
    assert http.get("/api/v1/users", params={"q": q}, headers=admin_headers).json()


def test_update_user_with_typed_values(org: OktaSandbox) -> None:
    """update_user stores lists, numbers and booleans as given; None removes the attribute."""
    user = org.list_users()[3]
    updated = org.update_user(user["id"], profile={"languages": ["Irish"], "fte": 0.5, "isManager": True})
    assert updated["profile"]["languages"] == ["Irish"] and updated["profile"]["fte"] == 0.5
    assert updated["profile"]["isManager"] is True
    cleared = org.update_user(user["id"], profile={"languages": None})
    assert "languages" not in cleared["profile"]
