"""The user schema, user lifecycle changes, the seed and stamps."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from okta_sandbox import OktaSandbox, SandboxServer
from okta_sandbox.models import USER_STATUSES
from okta_sandbox.schema import BASE_ATTRIBUTES
from okta_sandbox.specs import SpecValidator
from tests.sandbox.test_sandbox_users import search_ids


def test_user_schema_has_31_base_attributes_in_order_plus_custom(
    http: httpx.Client,
    admin_headers: dict[str, str],
    org: OktaSandbox,
    okta_spec: SpecValidator,
    sandbox: SandboxServer,
) -> None:
    """The default schema lists the 31 base attributes in Okta's order, then custom ones; valid per spec."""
    org.add_schema_attribute("costCode", title="Cost code", type="string", maxLength=20)
    response = http.get("/api/v1/meta/schemas/user/default", headers=admin_headers)
    assert response.status_code == 200
    schema = response.json()
    okta_spec.validate("UserSchema", schema)
    base = list(schema["definitions"]["base"]["properties"])
    assert base == [name for name, _, _ in BASE_ATTRIBUTES] and len(base) == 31
    assert base[:3] == ["login", "firstName", "lastName"] and base[-2:] == ["managerId", "manager"]
    custom = schema["definitions"]["custom"]["properties"]
    assert list(custom) == [
        "pronouns",
        "linkedinUrl",
        "languages",
        "yearsOfService",
        "fte",
        "isManager",
        "officeCode",
        "certifications",
        "costCode",
    ]
    assert custom["linkedinUrl"]["unique"] == "UNIQUE_VALIDATED"
    assert schema["id"] == f"{sandbox.origin}/meta/schemas/user/default"
    assert schema["definitions"]["base"]["required"] == ["login", "firstName", "lastName", "email"]
    by_id = http.get(f"/api/v1/meta/schemas/user/{org.schema_id}", headers=admin_headers)
    assert by_id.json() == schema
    assert http.get("/api/v1/meta/schemas/user/oscNOPE", headers=admin_headers).status_code == 404


def test_spec_validator_catches_drift(okta_spec: SpecValidator, org: OktaSandbox) -> None:
    """The validator is not vacuous: a wrong status or a boolean-typed field as a number fails."""
    user: dict[str, Any] = org.get_user(org.admin_login)
    assert okta_spec.errors("User", {**user, "status": "ENABLED"})
    schema = org.user_schema()
    schema["definitions"]["custom"]["properties"]["pronouns"]["unique"] = "SOMETIMES"
    assert okta_spec.errors("UserSchema", schema)


def test_custom_attribute_appears_in_profiles_and_search(
    http: httpx.Client, admin_headers: dict[str, str], org: OktaSandbox
) -> None:
    """A new custom attribute can be set on a user, is flattened into profile, and is searchable."""
    org.add_schema_attribute("officeFloor", title="Office floor", type="integer")
    user = org.list_users()[2]
    org.update_user(user["id"], profile={"officeFloor": 7})
    fetched = http.get(f"/api/v1/users/{user['id']}", headers=admin_headers).json()
    assert fetched["profile"]["officeFloor"] == 7
    assert search_ids(http, admin_headers, search="profile.officeFloor gt 5") == [user["id"]]


def test_update_bumps_last_updated_and_none_removes(org: OktaSandbox) -> None:
    """update_user merges, None removes an attribute, and lastUpdated moves forward."""
    user = org.list_users(search="profile.title pr")[0]
    updated = org.update_user(user["id"], profile={"title": None, "nickName": "Nick"})
    assert "title" not in updated["profile"] and updated["profile"]["nickName"] == "Nick"
    assert updated["lastUpdated"] > user["lastUpdated"]


def test_lifecycle_create_deactivate_reactivate_delete(
    http: httpx.Client, admin_headers: dict[str, str], org: OktaSandbox
) -> None:
    """Created users are listed; deactivated ones drop out of the plain list; deleted ones are 404."""
    created = org.create_user(
        profile={"login": "new.hire@signet-demo.example", "email": "new.hire@signet-demo.example",
                 "firstName": "New", "lastName": "Hire", "pronouns": "they/them"}
    )  # fmt: skip
    ids = lambda: {u["id"] for u in http.get("/api/v1/users", headers=admin_headers).json()}  # noqa: E731
    assert created["id"] in ids()
    assert org.deactivate_user(created["id"])["status"] == "DEPROVISIONED"
    assert created["id"] not in ids()
    assert org.reactivate_user(created["id"])["status"] == "ACTIVE"
    assert created["id"] in ids()
    org.delete_user(created["id"])
    assert http.get(f"/api/v1/users/{created['id']}", headers=admin_headers).status_code == 404


def test_create_user_validates_profile(org: OktaSandbox) -> None:
    """Missing required attributes, unknown attributes and duplicate logins are rejected."""
    from okta_sandbox import ApiError

    with pytest.raises(ApiError):
        org.create_user(profile={"login": "x@example.com", "firstName": "X"})
    with pytest.raises(ApiError):
        org.create_user(
            profile={
                "login": "x@example.com",
                "email": "x@example.com",
                "firstName": "X",
                "lastName": "Y",
                "shoe": 9,
            }
        )
    with pytest.raises(ApiError):
        org.create_user(
            profile={"login": org.admin_login, "email": "x@example.com", "firstName": "X", "lastName": "Y"}
        )


def test_seed_is_deterministic_and_varied() -> None:
    """The same seed gives the same users; the data covers every status and the awkward cases."""
    first = OktaSandbox(seed=3, users=40).list_users(include_deprovisioned=True)
    again = OktaSandbox(seed=3, users=40).list_users(include_deprovisioned=True)
    other = OktaSandbox(seed=4, users=40).list_users(include_deprovisioned=True)
    assert first == again
    assert [u["id"] for u in first] != [u["id"] for u in other]
    assert {u["status"] for u in first} == set(USER_STATUSES)
    text = repr(first)
    for needle in (
        "Zoë",
        "José",
        "李",
        "Ærøskøbing",
        "O'Brien",
        "R&D",
        "pronouns",
        "linkedinUrl",
        "20 7946 0",  # London, written +44 20 7946 0… or nationally 020 7946 0…
        "3-",  # Tokyo, +81 3-…-… or 03-…-…
    ):
        assert needle in text, needle
    assert any("title" not in u["profile"] for u in first)
    assert any("manager" in u["profile"] and "managerId" in u["profile"] for u in first)
    ids = {u["id"] for u in first}
    assert all(u["profile"]["managerId"] in ids for u in first if "managerId" in u["profile"])


def test_hundred_thousand_users_build_and_page() -> None:
    """A 100,000-user org builds and pages correctly (its speed is measured by bench/bench_sandbox.py:
    timed assertions flake on a loaded 2-core machine)."""
    org = OktaSandbox(seed=1, users=100_000)
    assert org.user_count() >= 100_000
    page = org.users_page(limit=200)
    assert len(page.items) == 200 and page.next_after is not None
    second = org.users_page(limit=200, after=page.next_after)
    ids = [json.loads(item)["id"] for item in [*page.items, *second.items]]
    assert len(set(ids)) == 400


def test_filter_values_are_case_sensitive_unlike_search(
    http: httpx.Client, admin_headers: dict[str, str]
) -> None:
    """SPEC-M listUsers: filter is case-sensitive for values; search values are case-insensitive."""
    assert search_ids(http, admin_headers, filter='profile.firstName eq "Zoë"')
    assert search_ids(http, admin_headers, filter='profile.firstName eq "zoë"') == []
    assert search_ids(http, admin_headers, filter='status eq "active"') == []
    assert search_ids(http, admin_headers, filter='status EQ "ACTIVE"')  # operators are not
    assert search_ids(http, admin_headers, search='profile.firstName eq "zoë"')


def test_timestamps_compare_at_okta_precision(http: httpx.Client, org: OktaSandbox) -> None:
    """Stamps are served as Okta sends them (`.000Z`, FACTS §8) and compared at that precision:
    `gt` a user's own lastUpdated excludes it, `ge` includes it."""
    org.clock.freeze(datetime(2030, 1, 1, 12, 0, 0, 123456, tzinfo=UTC))
    admin_headers = {"Authorization": f"Bearer {org.issue_tokens_for_tests()['access_token']}"}
    user = org.update_user(org.list_users()[0]["id"], profile={"title": "Changed"})
    stamp = user["lastUpdated"]
    assert stamp == "2030-01-01T12:00:00.000Z"
    assert search_ids(http, admin_headers, filter=f'lastUpdated gt "{stamp}"') == []
    assert search_ids(http, admin_headers, filter=f'lastUpdated ge "{stamp}"') == [user["id"]]
    assert search_ids(http, admin_headers, search=f'lastUpdated le "{stamp}" and id eq "{user["id"]}"')
