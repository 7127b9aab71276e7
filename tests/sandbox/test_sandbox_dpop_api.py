"""DPoP-bound tokens at the Management API (RFC 9449 §7, §9; FACTS §8) and DPoP's control surface."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from okta_sandbox import OktaSandbox, SandboxServer
from okta_sandbox.specs import SpecValidator
from okta_sandbox.testing import AuthorizationFlow, DPoPKey, enable_dpop, read_banner, spawn_cli

ALGS = 'DPoP algs="RS256 RS384 RS512 ES256 ES384 ES512", '


@pytest.fixture
def key(org: OktaSandbox) -> DPoPKey:
    """A DPoP key whose proofs follow the sandbox clock."""
    return DPoPKey.generate(clock=org.clock)


@pytest.fixture
def bound(org: OktaSandbox, key: DPoPKey) -> str:
    """An admin access token bound to ``key`` (minted without proofs, as tests may)."""
    return str(org.issue_tokens_for_tests(dpop_jkt=key.jkt)["access_token"])


@pytest.fixture
def users_url(sandbox: SandboxServer) -> str:
    """GET /api/v1/users as an absolute URL (the proofs' htu)."""
    return f"{sandbox.origin}/api/v1/users"


def test_dpop_scheme_with_a_proof_is_accepted(
    http: httpx.Client, key: DPoPKey, bound: str, users_url: str, org: OktaSandbox
) -> None:
    """Authorization: DPoP <token> + a proof with ath: the list, a single user and the schema all work."""
    assert http.get(users_url, headers=key.api_headers("GET", users_url, bound)).status_code == 200
    user_url = f"{users_url}/{org.list_users()[0]['id']}"
    assert http.get(user_url, headers=key.api_headers("GET", user_url, bound)).status_code == 200
    schema_url = users_url.replace("/users", "/meta/schemas/user/default")
    assert http.get(schema_url, headers=key.api_headers("GET", schema_url, bound)).status_code == 200


def test_next_links_work_with_proofs_without_the_query(
    http: httpx.Client, key: DPoPKey, bound: str, users_url: str
) -> None:
    """A proof for a next link carries htu without the query (RFC 9449 §4.2)."""
    first = http.get(users_url, params={"limit": 5}, headers=key.api_headers("GET", users_url, bound))
    next_url = first.links["next"]["url"]
    htu = next_url.split("?")[0]
    second = http.get(next_url, headers=key.api_headers("GET", htu, bound))
    assert second.status_code == 200 and len(second.json()) == 5


def test_bearer_use_of_a_bound_token_fails(
    http: httpx.Client, bound: str, users_url: str, okta_spec: SpecValidator
) -> None:
    """A DPoP-bound token sent as Bearer is 401 E0000011 with a DPoP challenge (RFC 9449 §7.2)."""
    response = http.get(users_url, headers={"Authorization": f"Bearer {bound}"})
    assert response.status_code == 401
    okta_spec.validate("Error", response.json())
    assert response.json()["errorCode"] == "E0000011"
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith(ALGS + "authorization_uri=") and 'error="invalid_token"' in challenge


def test_missing_or_bad_proofs_are_400_invalid_dpop_proof(
    http: httpx.Client, key: DPoPKey, bound: str, users_url: str
) -> None:
    """No proof, bad ath/htm/htu, a replay: 400, empty body, DPoP challenge (okta-sdk-golang#468)."""
    auth = {"Authorization": f"DPoP {bound}"}
    replayed = key.proof("GET", users_url, access_token=bound)
    cases = {
        "The DPoP proof JWT header is missing.": {},
        "'ath' claim in the DPoP proof JWT is invalid.": {"DPoP": key.proof("GET", users_url)},
        "'htm' claim in the DPoP proof JWT is invalid.": {
            "DPoP": key.proof("POST", users_url, access_token=bound)
        },
        "'htu' claim in the DPoP proof JWT is invalid.": {
            "DPoP": key.proof("GET", users_url + "/me", access_token=bound)
        },
    }
    assert http.get(users_url, headers={**auth, "DPoP": replayed}).status_code == 200
    cases["The DPoP proof JWT has already been used."] = {"DPoP": replayed}
    for description, extra in cases.items():
        response = http.get(users_url, headers={**auth, **extra})
        assert response.status_code == 400 and response.content == b"", description
        challenge = response.headers["www-authenticate"]
        assert challenge.startswith(ALGS), challenge
        assert f'error="invalid_dpop_proof", error_description="{description}"' in challenge
        assert challenge.endswith('resource="/api/v1/users"')


def test_proof_from_another_key_is_a_key_binding_error(
    http: httpx.Client, bound: str, users_url: str, org: OktaSandbox
) -> None:
    """A valid proof from another key: 401 invalid_token "Invalid DPoP key binding" (RFC 9449 §7.1)."""
    thief = DPoPKey.generate(clock=org.clock)
    response = http.get(users_url, headers=thief.api_headers("GET", users_url, bound))
    assert response.status_code == 401 and response.json()["errorCode"] == "E0000011"
    assert (
        'error="invalid_token", error_description="Invalid DPoP key binding"'
        in response.headers["www-authenticate"]
    )


def test_stale_nonce_at_the_api_is_401_use_dpop_nonce(
    http: httpx.Client, key: DPoPKey, bound: str, users_url: str, org: OktaSandbox
) -> None:
    """The API does not require a nonce (Okta guide), but a stale one gets 401 use_dpop_nonce + DPoP-Nonce."""
    key.nonce = org.dpop_nonce()
    assert http.get(users_url, headers=key.api_headers("GET", users_url, bound)).status_code == 200
    org.clock.advance(3 * 86400 + 1)
    bound = str(org.issue_tokens_for_tests(dpop_jkt=key.jkt)["access_token"])
    stale = http.get(users_url, headers=key.api_headers("GET", users_url, bound))
    assert stale.status_code == 401 and stale.content == b""
    assert stale.headers["www-authenticate"].startswith("DPoP ")
    assert 'error="use_dpop_nonce"' in stale.headers["www-authenticate"]
    fresh = stale.headers["dpop-nonce"]
    assert fresh and fresh != key.nonce
    key.remember_nonce(stale)
    assert http.get(users_url, headers=key.api_headers("GET", users_url, bound)).status_code == 200


def test_insufficient_scope_with_dpop_starts_with_the_dpop_challenge(
    http: httpx.Client, key: DPoPKey, users_url: str, org: OktaSandbox, sandbox: SandboxServer
) -> None:
    """403s for DPoP tokens start `WWW-Authenticate: DPoP algs="..."` (terraform-provider-okta#2375)."""
    token = str(org.issue_tokens_for_tests(scopes=["okta.users.read"], dpop_jkt=key.jkt)["access_token"])
    schema_url = f"{sandbox.origin}/api/v1/meta/schemas/user/default"
    response = http.get(schema_url, headers=key.api_headers("GET", schema_url, token))
    assert response.status_code == 403 and response.content == b""
    assert response.headers["www-authenticate"] == (
        f'{ALGS}authorization_uri="{sandbox.origin}/oauth2/v1/authorize", realm="{sandbox.origin}", '
        'scope="okta.schemas.read", error="insufficient_scope", '
        'error_description="The access token provided does not contain the required scopes.", '
        'resource="/api/v1/meta/schemas/user/default"'
    )


def test_dpop_scheme_with_a_bearer_or_unknown_token(
    http: httpx.Client, key: DPoPKey, users_url: str, admin_headers: dict[str, str]
) -> None:
    """The DPoP scheme with an unbound or unknown token is 401 E0000011 with a DPoP challenge."""
    plain = admin_headers["Authorization"].split()[1]
    for token in (plain, "nope"):
        response = http.get(users_url, headers=key.api_headers("GET", users_url, token))
        assert response.status_code == 401 and response.json()["errorCode"] == "E0000011"
        assert response.headers["www-authenticate"].startswith(ALGS)


def test_end_to_end_with_the_browser_flow_and_userinfo(
    flow: AuthorizationFlow, org: OktaSandbox, sandbox: SandboxServer
) -> None:
    """The real flow with DPoP, then the API and userinfo with the bound token."""
    enable_dpop(org)
    flow.dpop = DPoPKey.generate()
    token = flow.tokens()["access_token"]
    users = f"{sandbox.origin}/api/v1/users"
    assert flow.http.get(users, headers=flow.dpop.api_headers("GET", users, token)).status_code == 200
    info = f"{sandbox.origin}/oauth2/v1/userinfo"
    assert flow.http.get(info, headers=flow.dpop.api_headers("GET", info, token)).json()["sub"]
    assert flow.http.get(info, headers={"Authorization": f"Bearer {token}"}).status_code == 401


@pytest.fixture
def controlled() -> Iterator[httpx.Client]:
    """A sandbox with the control API, and a client for it."""
    server = SandboxServer(OktaSandbox(seed=2, users=3), control_api=True).start()
    with httpx.Client(base_url=server.origin, timeout=10) as client:
        yield client
    server.stop()


def test_control_api_for_dpop(controlled: httpx.Client) -> None:
    """Require DPoP per app, read/rotate the nonce, change the policy, mint bound tokens."""
    client_id = controlled.get("/__sandbox/").json()["defaultClientId"]
    app = controlled.post(f"/__sandbox/apps/{client_id}/dpop", json={"required": True}).json()
    assert app["dpop_bound_access_tokens"] is True
    off = controlled.patch(f"/__sandbox/apps/{client_id}", json={"dpop_bound_access_tokens": False}).json()
    assert off["dpop_bound_access_tokens"] is False
    assert controlled.post(f"/__sandbox/apps/{client_id}/dpop", json={"required": "yes"}).status_code == 400
    not_a_bool = controlled.patch(f"/__sandbox/apps/{client_id}", json={"dpop_bound_access_tokens": "yes"})
    assert not_a_bool.status_code == 400
    state = controlled.get("/__sandbox/dpop").json()
    assert (state["rotate_after_seconds"], state["valid_for_seconds"]) == (86400, 259200)
    rotated = controlled.post("/__sandbox/dpop/nonce/rotate").json()["nonce"]
    assert rotated != state["nonce"]
    policy = controlled.put("/__sandbox/dpop", json={"rotate_after_seconds": 60, "valid_for_seconds": 120})
    assert policy.json()["valid_for_seconds"] == 120
    assert controlled.put("/__sandbox/dpop", json={"rotate_after_seconds": 60}).status_code == 400
    key = DPoPKey.generate()
    tokens = controlled.post("/__sandbox/tokens", json={"dpop_jkt": key.jkt}).json()
    assert tokens["token_type"] == "DPoP"
    users = str(controlled.base_url.join("/api/v1/users"))
    assert (
        controlled.get(users, headers=key.api_headers("GET", users, tokens["access_token"])).status_code
        == 200
    )


def test_register_app_with_dpop_and_cli_flag() -> None:
    """register_app(dpop_bound_access_tokens=True), and `--dpop` sets it on the SPA app."""
    org = OktaSandbox(seed=1, users=1)
    assert org.register_app(
        redirect_uris=["http://x/cb"], dpop_bound_access_tokens=True
    ).dpop_bound_access_tokens
    process = spawn_cli("--users", "1", "--dpop")
    try:
        text = read_banner(process)
        assert "DPoP required        : yes" in text
        origin = text.split("listening on ")[1].split()[0]
        info = httpx.get(f"{origin}/__sandbox/", timeout=5).json()
        default = next(app for app in info["apps"] if app["client_id"] == info["defaultClientId"])
        assert default["dpop_bound_access_tokens"] is True
    finally:
        process.terminate()
        process.communicate(timeout=10)
