"""Long-running hygiene: dead codes, tokens and sessions are pruned; concurrent clients stay consistent."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

import okta_sandbox.oauth_server as oauth_server_module
import okta_sandbox.tokens as tokens_module
from okta_sandbox import OktaSandbox, SandboxServer
from okta_sandbox.models import AuthorizeRequest
from okta_sandbox.testing import AuthorizationFlow


def _issue_codes(org: OktaSandbox, count: int) -> None:
    request = AuthorizeRequest(
        client_id=org.default_app.client_id,
        redirect_uri=org.default_app.redirect_uris[0],
        scopes=("openid",),
        state="s",
        nonce=None,
        code_challenge=None,
        code_challenge_method=None,
        created=org.clock.now(),
    )
    user_id = org.get_user(org.admin_login)["id"]
    for _ in range(count):
        org.issue_code(request, user_id)


def test_expired_codes_and_tokens_are_pruned(monkeypatch: pytest.MonkeyPatch) -> None:
    """Expired codes, access tokens and dead refresh-token families do not pile up forever."""
    monkeypatch.setattr(tokens_module, "PRUNE_MIN_ISSUED", 16)
    org = OktaSandbox(seed=1, users=3)
    org.clock.freeze()
    _issue_codes(org, 40)
    families = [org.issue_tokens_for_tests() for _ in range(10)]
    org.clock.advance(3600)  # codes (300 s) and access tokens (3600 s) are now dead
    _issue_codes(org, 40)
    now = org.clock.now()
    state = org._codes, org._access_tokens, org._refresh_tokens  # noqa: SLF001 - memory is the point
    assert len(state[0]) <= 40 and all(now < code.expires_at for code in state[0].values())
    assert not state[1]
    assert all(tokens["refresh_token"] in state[2] for tokens in families)  # still live (90 days)
    org.clock.advance(90 * 86400)
    _issue_codes(org, 100)  # enough to pass the adaptive sweep threshold (live state, at least 16)
    assert not org._refresh_tokens and not org._families  # noqa: SLF001


def test_pruning_keeps_rotated_refresh_tokens_for_reuse_detection(
    monkeypatch: pytest.MonkeyPatch, flow: AuthorizationFlow, org: OktaSandbox
) -> None:
    """A used refresh token of a live family survives a sweep, so its late reuse still revokes the family."""
    monkeypatch.setattr(org, "_prune_threshold", 4)
    org.clock.freeze()
    first = flow.tokens()
    second = flow.refresh(first["refresh_token"]).json()
    org.clock.advance(31)
    _issue_codes(org, 10)
    assert flow.refresh(first["refresh_token"]).status_code == 400
    assert flow.refresh(second["refresh_token"]).status_code == 400


def test_sessions_are_bounded(monkeypatch: pytest.MonkeyPatch, org: OktaSandbox) -> None:
    """Sign-in sessions beyond MAX_SESSIONS forget the oldest first."""
    monkeypatch.setattr(oauth_server_module, "MAX_SESSIONS", 5)
    admin = org.get_user(org.admin_login)["id"]
    sids = [org.create_session(admin) for _ in range(8)]
    assert [org.session_user(sid) for sid in sids] == [None] * 3 + [admin] * 5


def test_concurrent_clients_over_the_threaded_server(sandbox: SandboxServer, org: OktaSandbox) -> None:
    """Parallel flows, refresh chains and listings all succeed and every rotated token is distinct."""

    def client_session(_: int) -> list[str]:
        with httpx.Client(base_url=sandbox.origin, timeout=10) as http:
            flow = AuthorizationFlow(http=http, org=org)
            tokens = flow.tokens()
            seen = [tokens["refresh_token"]]
            headers = {"Authorization": f"Bearer {tokens['access_token']}"}
            for _ in range(5):
                assert http.get("/api/v1/users", headers=headers, params={"limit": 50}).status_code == 200
                refreshed = flow.refresh(seen[-1])
                assert refreshed.status_code == 200, refreshed.text
                seen.append(refreshed.json()["refresh_token"])
            return seen

    with ThreadPoolExecutor(max_workers=6) as pool:
        chains = list(pool.map(client_session, range(6)))
    every = [token for chain in chains for token in chain]
    assert len(every) == len(set(every)) == 36
    assert org.count_requests(path="/oauth2/v1/token", grant_type="refresh_token") == 30
