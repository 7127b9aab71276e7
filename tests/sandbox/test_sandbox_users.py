"""The sandbox's Management API: users list/search/filter/pagination, single user, user schema, seed data."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from okta_sandbox import OktaSandbox, SandboxServer
from okta_sandbox.models import USER_STATUSES
from okta_sandbox.specs import SpecValidator

LINK = re.compile(r'<([^>]+)>; rel="(\w+)"')


def links(response: httpx.Response) -> dict[str, str]:
    """rel -> URL, from the separate Link header lines."""
    found: dict[str, str] = {}
    for line in response.headers.get_list("link"):
        match = LINK.fullmatch(line)
        assert match, line
        found[match.group(2)] = match.group(1)
    return found


def walk(http: httpx.Client, headers: dict[str, str], url: str) -> Iterator[httpx.Response]:
    """Follow rel="next" links only, never building URLs."""
    next_url: str | None = url
    while next_url is not None:
        response = http.get(next_url, headers=headers)
        assert response.status_code == 200, response.text
        yield response
        next_url = links(response).get("next")


def search_ids(http: httpx.Client, headers: dict[str, str], **params: str) -> list[str]:
    """Ids of every user matching ``params`` (walking all pages)."""
    url = str(httpx.URL("/api/v1/users", params=params))
    return [user["id"] for page in walk(http, headers, url) for user in page.json()]


@pytest.fixture
def big_org() -> Iterator[SandboxServer]:
    """A sandbox with 1,200 teammates."""
    server = SandboxServer(OktaSandbox(seed=7, users=1200)).start()
    yield server
    server.stop()


def test_pagination_walks_1000_plus_users_via_next_links(big_org: SandboxServer) -> None:
    """Following only next links visits every non-DEPROVISIONED user once, in id order, 200 per page."""
    org = big_org.sandbox
    headers = {"Authorization": f"Bearer {org.issue_tokens_for_tests()['access_token']}"}
    expected = [user["id"] for user in org.list_users()]
    assert len(expected) > 1000
    with httpx.Client(base_url=big_org.origin) as http:
        pages = list(walk(http, headers, "/api/v1/users"))
    seen = [user["id"] for page in pages for user in page.json()]
    assert seen == expected == sorted(expected)
    assert [len(page.json()) for page in pages[:-1]] == [200] * (len(pages) - 1)
    assert all(user["status"] != "DEPROVISIONED" for page in pages for user in page.json())
    assert list(links(pages[-1])) == ["self"]


def test_link_headers_are_two_lines_with_original_params(
    http: httpx.Client, admin_headers: dict[str, str], sandbox: SandboxServer
) -> None:
    """self and next are separate Link lines; next carries after, limit, then search, in that order."""
    response = http.get(
        "/api/v1/users", params={"search": 'status eq "ACTIVE"', "limit": "3"}, headers=admin_headers
    )
    lines = response.headers.get_list("link")
    assert len(lines) == 2
    last_id = response.json()[-1]["id"]
    assert lines[0] == (
        f'<{sandbox.origin}/api/v1/users?search=status%20eq%20%22ACTIVE%22&limit=3>; rel="self"'
    )
    assert lines[1] == (
        f"<{sandbox.origin}/api/v1/users?after={last_id}&limit=3&search=status%20eq%20%22ACTIVE%22>;"
        ' rel="next"'
    )


def test_limit_defaults_to_and_clamps_at_200(big_org: SandboxServer) -> None:
    """No limit means 200; limit=500 is clamped to 200 (and the next link says 200)."""
    org = big_org.sandbox
    headers = {"Authorization": f"Bearer {org.issue_tokens_for_tests()['access_token']}"}
    with httpx.Client(base_url=big_org.origin) as http:
        assert len(http.get("/api/v1/users", headers=headers).json()) == 200
        clamped = http.get("/api/v1/users", params={"limit": "500"}, headers=headers)
    assert len(clamped.json()) == 200
    assert "&limit=200" in links(clamped)["next"]


def test_unknown_after_cursor_continues_in_order(
    http: httpx.Client, admin_headers: dict[str, str], org: OktaSandbox
) -> None:
    """An after id that names no user starts the page at the next id in order."""
    ids = [user["id"] for user in org.list_users()]
    cursor = ids[4][:-1] + "~"  # sorts after ids[4], before ids[5] for base62 ids
    page = http.get("/api/v1/users", params={"after": cursor}, headers=admin_headers).json()
    assert page[0]["id"] == ids[5]


def test_plain_list_omits_deprovisioned_but_search_and_filter_include_them(
    http: httpx.Client, admin_headers: dict[str, str], org: OktaSandbox
) -> None:
    """DEPROVISIONED users are missing from a plain list and present with search or filter."""
    gone = org.list_users(search='status eq "DEPROVISIONED"')
    assert gone
    plain = {user["id"] for user in http.get("/api/v1/users", headers=admin_headers).json()}
    assert not plain & {user["id"] for user in gone}
    everything = search_ids(http, admin_headers, search='status eq "DEPROVISIONED" or status eq "ACTIVE"')
    filtered = search_ids(http, admin_headers, filter='status eq "DEPROVISIONED"')
    assert {user["id"] for user in gone} <= set(everything)
    assert filtered == [user["id"] for user in gone]


def test_search_last_updated_and_status(
    http: httpx.Client, admin_headers: dict[str, str], org: OktaSandbox
) -> None:
    """lastUpdated gt picks exactly the users changed after a moment; combined with status via and."""
    org.clock.freeze()
    moment = org.clock.now()
    org.clock.advance(1)
    zoe = org.list_users(search='profile.firstName eq "zoë"')[0]
    org.update_user(zoe["id"], profile={"title": "Head of Brand"})
    gone = org.list_users(filter='status eq "ACTIVE"')[3]
    org.deactivate_user(gone["id"])
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    changed = search_ids(http, admin_headers, search=f'lastUpdated gt "{stamp}"')
    assert sorted(changed) == sorted([zoe["id"], gone["id"]])
    active_changed = search_ids(
        http, admin_headers, search=f'lastUpdated gt "{stamp}" and status eq "ACTIVE"'
    )
    assert active_changed == [zoe["id"]]
    assert search_ids(http, admin_headers, filter=f'lastUpdated ge "{stamp}"') == sorted(changed)
    assert search_ids(http, admin_headers, search=f'lastUpdated lt "{stamp}" and id eq "{zoe["id"]}"') == []
    before = search_ids(http, admin_headers, search=f'lastUpdated le "{stamp}"')
    assert len(before) + len(changed) == org.user_count()


def test_search_or_parentheses_and_case_rules(
    http: httpx.Client, admin_headers: dict[str, str], org: OktaSandbox
) -> None:
    """and binds tighter than or, parentheses regroup, values and operators are case-insensitive."""
    expr = '(status eq "SUSPENDED" OR status eq "staged") and profile.lastName pr'
    expected = sorted(
        user["id"]
        for user in org.list_users(include_deprovisioned=True)
        if user["status"] in ("SUSPENDED", "STAGED")
    )
    assert search_ids(http, admin_headers, search=expr) == expected
    # Okta's documented "not equal" idiom: (status lt "STAGED" or status gt "STAGED").
    not_staged = search_ids(http, admin_headers, search='status lt "STAGED" or status gt "STAGED"')
    assert len(not_staged) == org.user_count() - sum(
        1 for u in org.list_users(include_deprovisioned=True) if u["status"] == "STAGED"
    )
    assert search_ids(http, admin_headers, search='profile.department eq "r&d"')
    assert search_ids(http, admin_headers, search='profile.lastName co "brien"')
    assert search_ids(http, admin_headers, search='profile.pronouns eq "she/her"')


def test_search_finds_non_latin_and_apostrophes(
    http: httpx.Client, admin_headers: dict[str, str], org: OktaSandbox
) -> None:
    """Searching works for 李, Ærøskøbing and O'Brien."""
    assert len(search_ids(http, admin_headers, search='profile.lastName eq "李"')) == 1
    assert search_ids(http, admin_headers, search='profile.city eq "Ærøskøbing"')
    assert len(search_ids(http, admin_headers, search='profile.lastName eq "O\'Brien"')) == 1


@pytest.mark.parametrize(
    ("param", "expression"),
    [
        ("search", 'status ne "ACTIVE"'),
        ("search", 'status eq "ACTIVE" and'),
        ("search", '(status eq "ACTIVE"'),
        ("search", 'profile.title co "Engineer"'),
        ("search", 'profile.FirstName eq "Zoë"'),
        ("search", 'lastUpdated gt "yesterday"'),
        ("filter", 'profile.department eq "Sales"'),
        ("filter", 'status sw "ACT"'),
        ("filter", 'profile.login co "a"'),
    ],
)
def test_bad_search_or_filter_is_400_e0000031(
    http: httpx.Client, admin_headers: dict[str, str], okta_spec: SpecValidator, param: str, expression: str
) -> None:
    """Malformed or disallowed expressions get 400 E0000031 "Invalid search criteria."."""
    response = http.get("/api/v1/users", params={param: expression}, headers=admin_headers)
    assert response.status_code == 400
    body = response.json()
    okta_spec.validate("Error", body)
    assert body["errorCode"] == "E0000031" and body["errorSummary"] == "Invalid search criteria."


def test_q_finds_by_prefix_without_pagination(http: httpx.Client, admin_headers: dict[str, str]) -> None:
    """q matches a firstName/lastName/email prefix and sends no next link."""
    response = http.get("/api/v1/users", params={"q": "zo"}, headers=admin_headers)
    assert [user["profile"]["firstName"] for user in response.json()] == ["Zoë"]
    assert "next" not in response.headers.get("link", "")


def test_users_list_validates_against_spec(
    http: httpx.Client, admin_headers: dict[str, str], okta_spec: SpecValidator
) -> None:
    """Every user in a list response validates as the spec's User, with only a self link."""
    users = http.get("/api/v1/users", params={"search": "id pr"}, headers=admin_headers).json()
    assert {user["status"] for user in users} == set(USER_STATUSES)
    for user in users:
        okta_spec.validate("User", user)
        assert list(user["_links"]) == ["self"]


def test_user_shape(http: httpx.Client, admin_headers: dict[str, str], org: OktaSandbox) -> None:
    """A user has Okta's fields, ms timestamps, unset attributes omitted, custom ones flattened in."""
    users = http.get("/api/v1/users", headers=admin_headers).json()
    user = next(u for u in users if u["profile"]["firstName"] == "Zoë")
    assert re.fullmatch(r"00u[0-9A-Za-z]{17}", user["id"])
    for key in ("created", "activated", "statusChanged", "lastLogin", "lastUpdated"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", user[key]), key
    assert user["type"]["id"].startswith("oty")
    assert user["profile"]["pronouns"] == "she/her"
    assert user["credentials"]["provider"] == {"type": "OKTA", "name": "OKTA"}
    minimal = next(u for u in users if u["profile"]["login"].startswith("sam.lee"))
    assert set(minimal["profile"]) == {
        "login",
        "firstName",
        "lastName",
        "email",
        "mobilePhone",
        "secondEmail",
    }
    assert minimal["profile"]["mobilePhone"] is None


def test_get_user_by_id_login_and_me(
    http: httpx.Client, admin_headers: dict[str, str], org: OktaSandbox, okta_spec: SpecValidator
) -> None:
    """GET /api/v1/users/{id|login|me} returns the user with lifecycle links, valid per spec."""
    user = org.list_users()[0]
    by_id = http.get(f"/api/v1/users/{user['id']}", headers=admin_headers)
    assert by_id.status_code == 200
    okta_spec.validate("User", by_id.json())
    assert "self" in by_id.json()["_links"] and "deactivate" in by_id.json()["_links"]
    by_login = http.get(f"/api/v1/users/{user['profile']['login']}", headers=admin_headers).json()
    assert by_login["id"] == user["id"]
    me = http.get("/api/v1/users/me", headers=admin_headers).json()
    assert me["profile"]["login"] == org.admin_login


def test_get_deprovisioned_user_works(
    http: httpx.Client, admin_headers: dict[str, str], org: OktaSandbox
) -> None:
    """A single GET returns DEPROVISIONED users too."""
    gone = org.list_users(filter='status eq "DEPROVISIONED"')[0]
    assert http.get(f"/api/v1/users/{gone['id']}", headers=admin_headers).json()["status"] == "DEPROVISIONED"


def test_unknown_user_is_404_e0000007(
    http: httpx.Client, admin_headers: dict[str, str], okta_spec: SpecValidator
) -> None:
    """An unknown id gives 404 E0000007 with Okta's recorded summary."""
    response = http.get("/api/v1/users/00uDOESNOTEXIST12345", headers=admin_headers)
    assert response.status_code == 404
    body = response.json()
    okta_spec.validate("Error", body)
    assert body["errorCode"] == "E0000007" and body["errorLink"] == "E0000007"
    assert body["errorSummary"] == "Not found: Resource not found: 00uDOESNOTEXIST12345 (User)"
    assert body["errorId"].startswith("oae")


@pytest.mark.parametrize("header", [None, "Bearer nope", "SSWS 00abc"])
def test_bad_token_is_401_e0000011(http: httpx.Client, okta_spec: SpecValidator, header: str | None) -> None:
    """A missing or unknown token gives 401 E0000011 "Invalid token provided"."""
    headers = {"Authorization": header} if header else {}
    response = http.get("/api/v1/users", headers=headers)
    assert response.status_code == 401
    okta_spec.validate("Error", response.json())
    assert response.json()["errorCode"] == "E0000011"
    assert response.json()["errorSummary"] == "Invalid token provided"
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_missing_scope_is_403_with_empty_body(
    http: httpx.Client, org: OktaSandbox, sandbox: SandboxServer
) -> None:
    """A token without okta.schemas.read gets 403, an empty body and insufficient_scope."""
    token = org.issue_tokens_for_tests(scopes=["okta.users.read"])["access_token"]
    response = http.get("/api/v1/meta/schemas/user/default", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403 and response.content == b""
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith(f'Bearer authorization_uri="{sandbox.origin}/oauth2/v1/authorize"')
    assert 'scope="okta.schemas.read"' in challenge and 'error="insufficient_scope"' in challenge
    assert 'resource="/api/v1/meta/schemas/user/default"' in challenge


def test_non_admin_token_is_403_e0000006(
    http: httpx.Client, org: OktaSandbox, okta_spec: SpecValidator
) -> None:
    """okta.* scopes act with the user's permissions: a non-admin's token gets 403 E0000006."""
    teammate = org.list_users(filter='status eq "ACTIVE"')[0]["profile"]["login"]
    token = org.issue_tokens_for_tests(login=teammate)["access_token"]
    response = http.get("/api/v1/users", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    okta_spec.validate("Error", response.json())
    assert response.json()["errorCode"] == "E0000006"
