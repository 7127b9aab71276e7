"""DPoP at the token endpoint (RFC 9449 §4-5, §8; Okta guide docs/guides/dpop): each refusal, then success."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from joserfc import jws
from joserfc.jwk import OctKey

import okta_sandbox.dpop as dpop_module
from okta_sandbox import OktaSandbox, SandboxServer
from okta_sandbox.dpop import ProofContext
from okta_sandbox.specs import SpecValidator
from okta_sandbox.testing import AuthorizationFlow, DPoPKey, enable_dpop

NEEDS_NONCE = {
    "error": "use_dpop_nonce",
    "error_description": "Authorization server requires nonce in DPoP proof.",
}


@pytest.fixture
def key(org: OktaSandbox) -> DPoPKey:
    """An ES256 DPoP key whose proofs follow the sandbox clock."""
    return DPoPKey.generate(clock=org.clock)


@pytest.fixture
def token_url(sandbox: SandboxServer) -> str:
    """The token endpoint's absolute URL (the proofs' htu)."""
    return f"{sandbox.origin}/oauth2/v1/token"


@pytest.fixture
def code(flow: AuthorizationFlow, org: OktaSandbox) -> str:
    """A fresh authorization code for the default app, which now requires DPoP."""
    enable_dpop(org)
    org.clock.freeze()
    return flow.get_code()


def exchange(flow: AuthorizationFlow, code: str, *proofs: str) -> httpx.Response:
    """The code exchange with the given DPoP header values."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": flow.org.default_app.client_id,
        "redirect_uri": flow.redirect_uri,
        "code_verifier": flow.verifier,
    }
    headers = [("DPoP", proof) for proof in proofs]
    return flow.http.post("/oauth2/v1/token", data=data, headers=headers)


def nonce_of(flow: AuthorizationFlow, key: DPoPKey, code: str, token_url: str) -> str:
    """Ask once without a nonce and keep the one the server answers with."""
    first = exchange(flow, code, key.proof("POST", token_url, nonce=None))
    assert first.status_code == 400 and key.remember_nonce(first)
    assert key.nonce is not None
    return key.nonce


def test_missing_proof_is_invalid_dpop_proof(
    flow: AuthorizationFlow, code: str, okta_spec: SpecValidator
) -> None:
    """No DPoP header: 400 invalid_dpop_proof with Okta's text (terraform-provider-okta#1904)."""
    response = exchange(flow, code)
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_dpop_proof",
        "error_description": "The DPoP proof JWT header is missing.",
    }
    okta_spec.validate("OAuthError", response.json())
    assert "dpop-nonce" not in response.headers


def test_nonce_dance_then_dpop_bound_tokens(
    flow: AuthorizationFlow,
    code: str,
    key: DPoPKey,
    token_url: str,
    org: OktaSandbox,
    okta_spec: SpecValidator,
) -> None:
    """No nonce: use_dpop_nonce + DPoP-Nonce; with it: token_type DPoP, cnf.jkt = the key thumbprint."""
    first = exchange(flow, code, key.proof("POST", token_url))
    assert first.status_code == 400 and first.json() == NEEDS_NONCE
    nonce = first.headers["dpop-nonce"]
    assert nonce and first.headers["cache-control"]
    second = exchange(flow, code, key.proof("POST", token_url, nonce=nonce))
    assert second.status_code == 200, second.text
    body = second.json()
    assert body["token_type"] == "DPoP" and body["expires_in"] == 3600
    assert list(body) == ["token_type", "expires_in", "access_token", "scope", "refresh_token", "id_token"]
    # SPEC-O's TokenResponseTokenType lists only Bearer and N_A; real DPoP responses say "DPoP".
    okta_spec.validate("TokenResponse", {**body, "token_type": "Bearer"})
    assert second.headers["dpop-nonce"] == nonce
    header = jws.extract_compact(body["access_token"].encode()).protected
    assert header["typ"] == "application/okta-internal-at+jwt" and header["alg"] == "RS256"
    claims = org.signer.verify(body["access_token"])
    assert claims["cnf"] == {"jkt": key.jkt}
    assert jws.extract_compact(body["id_token"].encode()).protected["typ"] == "JWT"  # unchanged


@pytest.mark.parametrize("alg", ["RS256", "ES384"])
def test_other_algorithms_work(
    flow: AuthorizationFlow, code: str, token_url: str, org: OktaSandbox, alg: str
) -> None:
    """RS256 (with a large jwk header) and ES384 proofs are accepted."""
    key = DPoPKey.generate(alg, clock=org.clock)
    nonce_of(flow, key, code, token_url)
    response = exchange(flow, code, key.proof("POST", token_url))
    assert response.status_code == 200 and response.json()["token_type"] == "DPoP"
    assert org.signer.verify(response.json()["access_token"])["cnf"]["jkt"] == key.jkt


def test_stale_nonce_gets_a_fresh_one(
    flow: AuthorizationFlow, code: str, key: DPoPKey, token_url: str, org: OktaSandbox
) -> None:
    """Nonces renew every 24 h and expire after 3 days (Okta guide); a stale one gets use_dpop_nonce again."""
    old = nonce_of(flow, key, code, token_url)
    org.clock.advance(25 * 3600)
    renewed = exchange(flow, code, key.proof("POST", token_url, nonce=None)).headers["dpop-nonce"]
    assert renewed != old
    org.clock.advance(2 * 86400)  # old is now 3 days + 1 hour old; renewed is 2 days old
    stale = exchange(flow, code, key.proof("POST", token_url, nonce=old))
    assert stale.status_code == 400 and stale.json()["error"] == "use_dpop_nonce"
    assert stale.headers["dpop-nonce"] not in ("", old)
    assert (
        exchange(flow, code, key.proof("POST", token_url, nonce=renewed)).status_code == 400
    )  # code expired
    fresh = flow.get_code()
    assert exchange(flow, fresh, key.proof("POST", token_url, nonce=renewed)).status_code == 200


def test_rotation_policy_is_configurable(
    flow: AuthorizationFlow, code: str, key: DPoPKey, token_url: str, org: OktaSandbox
) -> None:
    """set_dpop_nonce_policy: rotate every 2 minutes, valid 5; rotate_dpop_nonce issues a new one now."""
    org.set_dpop_nonce_policy(rotate_after_seconds=120, valid_for_seconds=300)
    nonce = nonce_of(flow, key, code, token_url)
    org.clock.advance(121)
    assert org.dpop_nonce() != nonce
    assert org.rotate_dpop_nonce() != nonce
    org.clock.advance(180)  # 301 s after the first nonce
    stale = exchange(flow, code, key.proof("POST", token_url, nonce=nonce))
    assert stale.json()["error"] == "use_dpop_nonce"
    with pytest.raises(ValueError):
        org.set_dpop_nonce_policy(rotate_after_seconds=0, valid_for_seconds=1)


def test_replayed_proof_is_refused(flow: AuthorizationFlow, code: str, key: DPoPKey, token_url: str) -> None:
    """A proof's jti works once (RFC 9449 §11.1): the same proof again is invalid_dpop_proof."""
    nonce_of(flow, key, code, token_url)
    proof = key.proof("POST", token_url)
    assert exchange(flow, code, proof).status_code == 200
    replay = exchange(flow, code, proof)
    assert replay.status_code == 400
    assert replay.json() == {
        "error": "invalid_dpop_proof",
        "error_description": "The DPoP proof JWT has already been used.",
    }


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}."


BAD_PROOFS = {
    "htm": ({}, {"htm": "GET"}, "'htm' claim in the DPoP proof JWT is invalid."),
    "htu": (
        {},
        {"htu": "http://127.0.0.1:1/oauth2/v1/token"},
        "'htu' claim in the DPoP proof JWT is invalid.",
    ),
    "old iat": ({}, {"iat": "OLD"}, "'iat' claim in the DPoP proof JWT is invalid."),
    "future iat": ({}, {"iat": "FUTURE"}, "'iat' claim in the DPoP proof JWT is invalid."),
    "no jti": ({}, {"jti": None}, "'jti' claim in the DPoP proof JWT is invalid."),
    "typ": ({"typ": "JWT"}, {}, "'typ' header in the DPoP proof JWT is invalid."),
    "no jwk": ({"jwk": None}, {}, "'jwk' header in the DPoP proof JWT is invalid."),
}


@pytest.mark.parametrize("case", sorted(BAD_PROOFS))
def test_bad_proofs_are_invalid_dpop_proof(
    flow: AuthorizationFlow, code: str, key: DPoPKey, token_url: str, org: OktaSandbox, case: str
) -> None:
    """Each RFC 9449 §4.3 check: htm, htu, iat window, jti, typ, jwk."""
    nonce_of(flow, key, code, token_url)
    header, claims, description = BAD_PROOFS[case]
    now = int(org.clock.now().timestamp())
    claims = {**claims, "iat": {"OLD": now - 301, "FUTURE": now + 61}.get(claims.get("iat"), now)}
    response = exchange(flow, code, key.proof("POST", token_url, header=header, claims=claims))
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_dpop_proof", "error_description": description}


def test_htu_ignores_query_and_default_port_spelling(
    flow: AuthorizationFlow, code: str, key: DPoPKey, token_url: str
) -> None:
    """htu is compared without query or fragment, case-insensitively for scheme and host (RFC 9449 §4.3)."""
    nonce_of(flow, key, code, token_url)
    htu = token_url.replace("http://", "HTTP://") + "?x=1#frag"
    assert exchange(flow, code, key.proof("POST", htu)).status_code == 200


def test_unusable_proofs(
    flow: AuthorizationFlow, code: str, key: DPoPKey, token_url: str, org: OktaSandbox
) -> None:
    """Garbage, alg none/HS256, a private jwk, a wrong signature, two headers: all invalid_dpop_proof."""
    nonce = nonce_of(flow, key, code, token_url)
    claims = {
        "jti": "j1",
        "htm": "POST",
        "htu": token_url,
        "iat": int(org.clock.now().timestamp()),
        "nonce": nonce,
    }
    other = DPoPKey.generate(clock=org.clock)
    forged = other.proof("POST", token_url, header={"jwk": key.public_jwk})
    hs256 = jws.serialize_compact(
        {"typ": "dpop+jwt", "alg": "HS256", "jwk": key.public_jwk},
        json.dumps(claims).encode(),
        OctKey.generate_key(256),
        algorithms=["HS256"],
    )
    cases = {
        "not a jwt": "DPoP proof JWT cannot be parsed.",
        _unsigned({"typ": "dpop+jwt", "alg": "none", "jwk": key.public_jwk}, claims): (
            "'alg' header in the DPoP proof JWT is invalid."
        ),
        hs256: "'alg' header in the DPoP proof JWT is invalid.",
        key.proof("POST", token_url, header={"jwk": key.key.as_dict(private=True)}): (
            "'jwk' header in the DPoP proof JWT is invalid."
        ),
        key.proof("POST", token_url, header={"jwk": DPoPKey.generate("RS256").public_jwk}): (
            "'jwk' header in the DPoP proof JWT is invalid."
        ),
        forged: "The DPoP proof JWT signature is invalid.",
    }
    for proof, description in cases.items():
        response = exchange(flow, code, proof)
        assert response.json() == {"error": "invalid_dpop_proof", "error_description": description}, proof
    twice = exchange(flow, code, key.proof("POST", token_url), key.proof("POST", token_url))
    assert twice.json()["error_description"] == "Multiple DPoP proof JWT headers were sent."


def test_refresh_needs_a_proof_from_the_same_key(
    flow: AuthorizationFlow, code: str, key: DPoPKey, token_url: str, org: OktaSandbox
) -> None:
    """A DPoP-bound refresh token needs a proof from its key (Okta guide, "Refresh an access token")."""
    nonce_of(flow, key, code, token_url)
    tokens = exchange(flow, code, key.proof("POST", token_url)).json()
    data = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": org.default_app.client_id,
    }
    assert flow.http.post("/oauth2/v1/token", data=data).json()["error"] == "invalid_dpop_proof"
    other = DPoPKey.generate(clock=org.clock)
    other.nonce = key.nonce
    wrong = flow.http.post("/oauth2/v1/token", data=data, headers={"DPoP": other.proof("POST", token_url)})
    assert wrong.status_code == 400
    assert wrong.json()["error_description"] == "The DPoP proof JWT key does not match the refresh token."
    good = flow.http.post("/oauth2/v1/token", data=data, headers={"DPoP": key.proof("POST", token_url)})
    assert good.status_code == 200 and good.json()["token_type"] == "DPoP"
    assert org.signer.verify(good.json()["access_token"])["cnf"]["jkt"] == key.jkt
    # Turning the setting off does not unbind the family: its refreshes still need the key.
    org.set_dpop_required(None, False)
    data["refresh_token"] = good.json()["refresh_token"]
    assert flow.http.post("/oauth2/v1/token", data=data).json()["error"] == "invalid_dpop_proof"


def test_flow_helper_does_the_nonce_dance(flow: AuthorizationFlow, org: OktaSandbox) -> None:
    """AuthorizationFlow(dpop=...) retries once on use_dpop_nonce, for the code and for refreshes."""
    enable_dpop(org)
    flow.dpop = DPoPKey.generate()
    tokens = flow.tokens()
    assert tokens["token_type"] == "DPoP"
    refreshed = flow.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 200 and refreshed.json()["token_type"] == "DPoP"
    assert org.count_requests(path="/oauth2/v1/token", grant_type="authorization_code") == 2


def test_without_the_setting_nothing_changes(
    flow: AuthorizationFlow, org: OktaSandbox, token_url: str
) -> None:
    """An app without DPoP issues Bearer tokens as before, and ignores a proof if one is sent."""
    assert org.default_app.dpop_bound_access_tokens is False
    plain = flow.tokens()
    assert plain["token_type"] == "Bearer" and "cnf" not in org.signer.verify(plain["access_token"])
    key = DPoPKey.generate()
    response = flow.exchange(flow.get_code())
    assert response.json()["token_type"] == "Bearer" and "dpop-nonce" not in response.headers
    with_proof = flow.http.post(
        "/oauth2/v1/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": plain["refresh_token"],
            "client_id": org.default_app.client_id,
        },
        headers={"DPoP": key.proof("POST", token_url)},
    )
    assert with_proof.status_code == 200 and with_proof.json()["token_type"] == "Bearer"


def test_malformed_payloads_keys_and_iat(
    flow: AuthorizationFlow, code: str, key: DPoPKey, token_url: str, org: OktaSandbox
) -> None:
    """A payload that is not a JSON object, a jwk that does not import, a non-numeric iat."""
    nonce_of(flow, key, code, token_url)
    header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": key.public_jwk}
    not_json = jws.serialize_compact(header, b"not json", key.key, algorithms=["ES256"])
    a_list = jws.serialize_compact(header, b"[1, 2]", key.key, algorithms=["ES256"])
    broken_jwk = key.proof(
        "POST", token_url, header={"jwk": {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}}
    )
    cases = {
        not_json: "DPoP proof JWT cannot be parsed.",
        a_list: "DPoP proof JWT cannot be parsed.",
        broken_jwk: "'jwk' header in the DPoP proof JWT is invalid.",
        key.proof(
            "POST", token_url, claims={"iat": "yesterday"}
        ): "'iat' claim in the DPoP proof JWT is invalid.",
        key.proof("POST", token_url, claims={"iat": True}): "'iat' claim in the DPoP proof JWT is invalid.",
    }
    for proof, description in cases.items():
        response = exchange(flow, code, proof)
        assert response.json() == {"error": "invalid_dpop_proof", "error_description": description}


def test_enabling_dpop_binds_an_existing_grant_on_its_next_refresh(
    flow: AuthorizationFlow, org: OktaSandbox, key: DPoPKey, token_url: str
) -> None:
    """Bearer tokens from before the setting: the next refresh with a proof binds the family to that key."""
    tokens = flow.tokens()
    enable_dpop(org)
    flow.dpop = key
    refreshed = flow.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 200 and refreshed.json()["token_type"] == "DPoP"
    flow.dpop = None
    org.set_dpop_required(None, False)
    unproven = flow.refresh(refreshed.json()["refresh_token"])
    assert unproven.json()["error_description"] == "The DPoP proof JWT header is missing."


def test_replay_cache_stays_bounded(monkeypatch: pytest.MonkeyPatch, key: DPoPKey) -> None:
    """Seen jtis are forgotten once their iat is outside the window (memory stays bounded)."""
    monkeypatch.setattr(dpop_module, "REPLAY_CACHE_MIN", 8)
    org = OktaSandbox(seed=1, users=1)
    key.clock = org.clock
    org.clock.freeze()
    url = "http://sandbox.test/oauth2/v1/token"

    def verify() -> None:
        org.verify_dpop_proof(ProofContext((key.proof("POST", url),), "POST", url), require_nonce=False)

    for _ in range(10):
        verify()
    seen = org._dpop_seen  # noqa: SLF001 - memory is the point
    assert len(seen) == 10  # all still inside the iat window: the sweep at 8 kept them
    org.clock.advance(400)
    for _ in range(7):
        verify()
    assert len(org._dpop_seen) == 7  # noqa: SLF001 - the sweep at 16 dropped the 10 old ones
