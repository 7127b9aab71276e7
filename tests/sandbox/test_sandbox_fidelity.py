"""As real recorded traffic shows (FACTS §8): request ids, no-cache, .000Z stamps, link rels, RFC 8414."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx

from okta_sandbox import OktaSandbox, SandboxServer
from okta_sandbox.specs import SpecValidator
from okta_sandbox.testing import AuthorizationFlow

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z")


def _responses(
    http: httpx.Client, flow: AuthorizationFlow, admin_headers: dict[str, str], org: OktaSandbox
) -> list[httpx.Response]:
    org.inject_fault("http_error", path_prefix="/api/v1/meta")
    return [
        http.get("/api/v1/users", headers=admin_headers),
        http.get("/api/v1/users/nobody", headers=admin_headers),
        http.get("/api/v1/users"),
        http.get("/api/v1/meta/schemas/user/default", headers=admin_headers),  # the injected 500
        http.get("/api/v1/groups", headers=admin_headers),
        http.get("/.well-known/openid-configuration"),
        http.get("/.well-known/oauth-authorization-server"),
        http.post("/oauth2/v1/token", data={"grant_type": "nope", "client_id": org.default_app.client_id}),
        http.options("/oauth2/v1/token", headers={"Origin": "http://app.example"}),
        http.get("/oauth2/v1/userinfo"),
        flow.authorize(),
        flow.authorize(state=None),
        http.get("/no/such/path"),
    ]


def test_every_response_has_a_unique_request_id(
    http: httpx.Client, flow: AuthorizationFlow, admin_headers: dict[str, str], org: OktaSandbox
) -> None:
    """X-Okta-Request-Id on every response (success, error, HTML, preflight, 404), never repeated."""
    responses = _responses(http, flow, admin_headers, org)
    ids = [response.headers.get("x-okta-request-id", "") for response in responses]
    assert all(re.fullmatch(r"[0-9a-f]{32}", value) for value in ids), ids
    assert len(set(ids)) == len(ids)


def test_responses_are_not_cacheable_except_the_jwks(
    http: httpx.Client, flow: AuthorizationFlow, admin_headers: dict[str, str], org: OktaSandbox
) -> None:
    """Cache-Control: no-cache, no-store, Pragma: no-cache, Expires: 0 as recorded; the JWKS is cacheable."""
    for response in _responses(http, flow, admin_headers, org):
        assert response.headers["cache-control"] == "no-cache, no-store", (response.url, response.status_code)
        assert response.headers["expires"] == "0" and response.headers["pragma"] == "no-cache"
    keys = http.get("/oauth2/v1/keys")
    assert keys.headers["cache-control"] == "max-age=3600" and "x-okta-request-id" in keys.headers


def test_control_api_is_not_dressed_as_okta() -> None:
    """The control API is the sandbox's own: no Okta request id there."""
    with SandboxServer(OktaSandbox(seed=1, users=1), control_api=True) as server:
        assert "x-okta-request-id" not in httpx.get(f"{server.origin}/__sandbox/").headers


def test_schema_links_use_their_own_rels(
    http: httpx.Client, admin_headers: dict[str, str], sandbox: SandboxServer, org: OktaSandbox
) -> None:
    """_links.self.rel is "self" and _links.type.rel is "type", as real orgs send them."""
    links = http.get("/api/v1/meta/schemas/user/default", headers=admin_headers).json()["_links"]
    assert links["self"] == {
        "rel": "self",
        "href": f"{sandbox.origin}/api/v1/meta/schemas/user/{org.schema_id}",
        "method": "GET",
    }
    assert links["type"] == {
        "rel": "type",
        "href": f"{sandbox.origin}/api/v1/meta/types/user/{org.user_type_id}",
        "method": "GET",
    }


STAMP_KEYS = frozenset(
    {"created", "activated", "statusChanged", "lastLogin", "lastUpdated", "passwordChanged"}
)


def _stamps(value: Any) -> list[str]:
    """Every timestamp value in a JSON document."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in STAMP_KEYS and isinstance(item, str):
                found.append(item)
            else:
                found.extend(_stamps(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_stamps(item))
    return found


def test_timestamps_are_whole_seconds(http: httpx.Client, org: OktaSandbox, flow: AuthorizationFlow) -> None:
    """Seeded and clock-stamped times are served as ...:SS.000Z, like every recorded response."""
    org.clock.freeze(datetime(2030, 5, 6, 7, 8, 9, 789000, tzinfo=UTC))
    admin_headers = {"Authorization": f"Bearer {org.issue_tokens_for_tests()['access_token']}"}
    created = org.create_user(
        profile={"login": "new@x.example", "email": "new@x.example", "firstName": "N", "lastName": "W"}
    )
    org.add_schema_attribute("team", title="Team")
    flow.tokens()  # a sign-in stamps lastLogin
    users = http.get("/api/v1/users", params={"search": "id pr"}, headers=admin_headers).json()
    schema = http.get("/api/v1/meta/schemas/user/default", headers=admin_headers).json()
    stamps = _stamps(users) + _stamps(schema) + _stamps(created)
    assert len(stamps) > 100
    assert all(TIMESTAMP.fullmatch(stamp) for stamp in stamps), [
        s for s in stamps if not TIMESTAMP.fullmatch(s)
    ]
    assert created["created"] == "2030-05-06T07:08:09.000Z"
    admin = org.get_user(org.admin_login)
    assert admin["lastLogin"] == "2030-05-06T07:08:09.000Z"


def test_back_to_back_changes_still_move_last_updated(org: OktaSandbox) -> None:
    """With a frozen clock, each change moves lastUpdated on by (at least) Okta's one second."""
    org.clock.freeze(datetime(2030, 1, 1, tzinfo=UTC))
    user_id = org.list_users()[0]["id"]
    first = org.update_user(user_id, profile={"title": "A"})["lastUpdated"]
    second = org.update_user(user_id, profile={"title": "B"})["lastUpdated"]
    assert (first, second) == ("2030-01-01T00:00:00.000Z", "2030-01-01T00:00:01.000Z")


def test_org_root_oauth_authorization_server_metadata(
    http: httpx.Client, sandbox: SandboxServer, okta_spec: SpecValidator
) -> None:
    """/.well-known/oauth-authorization-server (RFC 8414) is the org AS document, issuer = the origin."""
    rfc8414 = http.get("/.well-known/oauth-authorization-server")
    assert rfc8414.status_code == 200
    body = rfc8414.json()
    okta_spec.validate("OAuthMetadata", body)
    assert body == http.get("/.well-known/openid-configuration").json()
    assert body["issuer"] == sandbox.origin and body["token_endpoint"] == f"{sandbox.origin}/oauth2/v1/token"
    bad = http.get("/.well-known/oauth-authorization-server", params={"client_id": "0oanope"})
    assert bad.status_code == 400 and bad.json()["errorCode"] == "invalid_client"
