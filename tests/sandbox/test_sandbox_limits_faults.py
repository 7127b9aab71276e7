"""Rate limits, injected faults and the request log."""

from __future__ import annotations

import time

import httpx
import pytest

from okta_sandbox import OktaSandbox
from okta_sandbox.specs import SpecValidator
from okta_sandbox.testing import AuthorizationFlow


def test_rate_limit_headers_on_every_response(http: httpx.Client, admin_headers: dict[str, str]) -> None:
    """Management, OAuth and error responses all carry X-Rate-Limit-Limit/Remaining/Reset."""
    responses = [
        http.get("/api/v1/users", headers=admin_headers),
        http.get("/api/v1/users/00uNOPE", headers=admin_headers),
        http.get("/api/v1/meta/schemas/user/default", headers=admin_headers),
        http.get("/api/v1/users"),
        http.get("/.well-known/openid-configuration"),
        http.post("/oauth2/v1/token", data={"grant_type": "x"}),
    ]
    for response in responses:
        for header in ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"):
            assert header in response.headers, (response.url, header)
    assert responses[0].headers["x-rate-limit-limit"] == "600"
    assert responses[1].headers["x-rate-limit-limit"] == "2000"
    assert responses[2].headers["x-rate-limit-limit"] == "1200"
    assert responses[4].headers["x-rate-limit-limit"] == "2000"


def test_rate_limit_counts_down_and_429s(
    http: httpx.Client, admin_headers: dict[str, str], org: OktaSandbox, okta_spec: SpecValidator
) -> None:
    """Remaining counts down within the clock minute; an empty bucket answers 429 E0000047 until reset."""
    org.clock.freeze()
    org.set_rate_limit("users_list", 3)
    now = int(org.clock.now().timestamp())
    reset = now - now % 60 + 60
    remaining = [
        http.get("/api/v1/users", headers=admin_headers).headers["x-rate-limit-remaining"] for _ in range(3)
    ]
    assert remaining == ["2", "1", "0"]
    limited = http.get("/api/v1/users", headers=admin_headers)
    assert limited.status_code == 429
    okta_spec.validate("Error", limited.json())
    body = limited.json()
    assert body["errorCode"] == "E0000047" and body["errorLink"] == "E0000047"
    assert body["errorSummary"] == "API call exceeded rate limit due to too many requests."
    assert body["errorCauses"] == []
    assert limited.headers["x-rate-limit-limit"] == "3"
    assert limited.headers["x-rate-limit-remaining"] == "0"
    assert limited.headers["x-rate-limit-reset"] == str(reset)
    # Other families have their own buckets.
    assert http.get("/api/v1/meta/schemas/user/default", headers=admin_headers).status_code == 200
    org.clock.advance(reset - org.clock.now().timestamp())
    assert http.get("/api/v1/users", headers=admin_headers).status_code == 200


def test_oauth2_bucket_limits_the_token_endpoint(flow: AuthorizationFlow, org: OktaSandbox) -> None:
    """The oauth2 family covers /oauth2/v1/token: a 429 there has the E0000047 body."""
    org.clock.freeze()
    org.set_rate_limit("oauth2", 1)
    assert flow.refresh("x").status_code == 400
    limited = flow.refresh("x")
    assert limited.status_code == 429 and limited.json()["errorCode"] == "E0000047"


def test_unknown_rate_limit_family_is_rejected(org: OktaSandbox) -> None:
    """set_rate_limit only accepts the documented families."""
    with pytest.raises(ValueError, match="family"):
        org.set_rate_limit("users", 10)


@pytest.mark.parametrize("status", [500, 503])
def test_http_error_fault(
    http: httpx.Client, admin_headers: dict[str, str], org: OktaSandbox, okta_spec: SpecValidator, status: int
) -> None:
    """An http_error fault answers the next request with 500/503 and an Okta error body, then stops."""
    org.inject_fault("http_error", status=status)
    failed = http.get("/api/v1/users", headers=admin_headers)
    assert failed.status_code == status
    okta_spec.validate("Error", failed.json())
    assert failed.json()["errorCode"] == "E0000009"
    assert http.get("/api/v1/users", headers=admin_headers).status_code == 200


def test_rate_limit_fault(http: httpx.Client, admin_headers: dict[str, str], org: OktaSandbox) -> None:
    """A rate_limit fault answers 429 E0000047 with remaining 0, without a real empty bucket."""
    org.inject_fault("rate_limit", count=2)
    for _ in range(2):
        response = http.get("/api/v1/users", headers=admin_headers)
        assert response.status_code == 429 and response.headers["x-rate-limit-remaining"] == "0"
    assert http.get("/api/v1/users", headers=admin_headers).status_code == 200


def test_latency_fault(http: httpx.Client, admin_headers: dict[str, str], org: OktaSandbox) -> None:
    """A latency fault delays the response, then answers normally."""
    org.inject_fault("latency", latency_seconds=0.3)
    started = time.perf_counter()
    response = http.get("/api/v1/users", headers=admin_headers)
    assert response.status_code == 200 and time.perf_counter() - started >= 0.3


def test_drop_fault_closes_connection(
    http: httpx.Client, admin_headers: dict[str, str], org: OktaSandbox
) -> None:
    """A drop fault closes the connection with no response; the next request works."""
    org.inject_fault("drop")
    with pytest.raises(httpx.RemoteProtocolError):
        http.get("/api/v1/users", headers=admin_headers)
    assert http.get("/api/v1/users", headers=admin_headers).status_code == 200
    assert [record.fault for record in org.request_log()][-2:] == ["drop", None]


def test_malformed_json_fault(http: httpx.Client, admin_headers: dict[str, str], org: OktaSandbox) -> None:
    """A malformed_json fault sends a 200 JSON response whose body does not parse."""
    org.inject_fault("malformed_json", path_prefix="/oauth2/v1/token")
    assert http.get("/api/v1/users", headers=admin_headers).json()  # not this path: untouched
    response = http.post("/oauth2/v1/token", data={"grant_type": "refresh_token", "client_id": "x"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    with pytest.raises(ValueError):
        response.json()


def test_faults_apply_in_order_and_respect_count(
    http: httpx.Client, admin_headers: dict[str, str], org: OktaSandbox
) -> None:
    """Queued faults are consumed first-in first-out, each for its count."""
    org.inject_fault("http_error", count=2, status=503)
    org.inject_fault("rate_limit")
    statuses = [http.get("/api/v1/users", headers=admin_headers).status_code for _ in range(4)]
    assert statuses == [503, 503, 429, 200]
    assert org.pending_faults() == []


def test_unknown_fault_kind_is_rejected(org: OktaSandbox) -> None:
    """inject_fault validates the kind."""
    with pytest.raises(ValueError, match="fault kind"):
        org.inject_fault("explode")


def test_request_log_counts_refreshes(flow: AuthorizationFlow, org: OktaSandbox) -> None:
    """count_requests tells how many token requests of each grant type reached the sandbox."""
    tokens = flow.tokens()
    flow.refresh(tokens["refresh_token"])
    assert org.count_requests(path="/oauth2/v1/token", grant_type="refresh_token") == 1
    assert org.count_requests(path="/oauth2/v1/token", grant_type="authorization_code") == 1
    sign_in = [record for record in org.request_log() if record.path == "/login/signin"]
    assert sign_in and sign_in[0].form["password"] == "***"
