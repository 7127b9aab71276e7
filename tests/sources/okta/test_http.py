"""The Okta transport over real HTTP against the sandbox: rate-limit reserve and resets, 429 waits,
retries of 5xx, drops and timeouts, and the cap on waiting. Waits move the sandbox clock (no sleeping)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.okta_flow import SandboxTime, management_api_requests
from webapp.sources.okta.api import Credentials, FixedCredentials, OktaApi
from webapp.sources.okta.errors import OktaApiError, OktaRateLimitedError, OktaUnreachableError
from webapp.sources.okta.http import OktaTransport, RetryPolicy, build_client
from webapp.sources.okta.ratelimit import RateHeaders, RateLimits

USERS = "/api/v1/users"


@dataclass
class Harness:
    """An API client on the sandbox's admin token, its transport's fake clock, and the sandbox."""

    org: Any
    time: SandboxTime
    transport: OktaTransport
    http: httpx.Client
    token: str

    def api(self, *, max_wait: float | None = None) -> OktaApi:
        credentials = FixedCredentials(Credentials(access_token=self.token))
        return OktaApi(origin=self.org.origin, tokens=credentials, http=self.http, max_wait=max_wait)


def _harness(sandbox: Any, *, timeout: float = 5.0) -> Harness:
    org = sandbox.sandbox
    fake = SandboxTime(org)
    transport = OktaTransport(httpx.HTTPTransport(), clock=fake.clock(), policy=RetryPolicy(max_wait=120))
    http = build_client(timeout=timeout, user_agent="signet-tests", transport=transport)
    token = org.issue_tokens_for_tests()["access_token"]
    return Harness(org=org, time=fake, transport=transport, http=http, token=token)


@pytest.fixture
def okta(sandbox: Any) -> Iterator[Harness]:
    """A harness on a sandbox whose clock is frozen (so a minute's window can't end mid-test)."""
    sandbox.sandbox.clock.freeze()
    harness = _harness(sandbox)
    sandbox.sandbox.clear_request_log()
    yield harness
    harness.http.close()


def test_rate_limit_headers_are_read_robustly() -> None:
    """A header sent twice (or comma-joined) counts by its smallest value; the reset is judged by
    Okta's Date, not the local clock."""
    headers = httpx.Headers(
        [
            ("X-Rate-Limit-Limit", "600"),
            ("X-Rate-Limit-Limit", "50"),
            ("X-Rate-Limit-Remaining", "41, 7"),
            ("X-Rate-Limit-Reset", "1773291477"),
            ("X-Rate-Limit-Reset", "junk"),
            ("Date", "Thu, 12 Mar 2026 04:57:47 GMT"),
        ]
    )
    rate = RateHeaders.read(headers, wall_clock=0.0)  # a wildly wrong local clock
    assert (rate.limit, rate.remaining) == (50, 7)
    assert rate.reset_in == 10.0
    assert rate.wait_after_429() == 11.0
    assert RateLimits().reserve(50) == 5 and RateLimits().reserve(10) == 2


def test_keeps_a_reserve_and_waits_for_the_reset_instead_of_hitting_429(okta: Harness) -> None:
    """At 50 a minute, Signet sends 45 calls, then waits for the window's reset (leaving 5 to the
    org's other apps) and goes on: Okta never has to answer 429."""
    api = okta.api()
    for _ in range(46):
        api.get(USERS, params={"limit": 1})
    statuses = [record.status for record in management_api_requests(okta.org)]
    assert statuses == [200] * 46
    assert len(okta.time.slept) == 1 and 1 <= okta.time.slept[0] <= 61


def test_a_429_is_waited_out_then_retried(okta: Harness) -> None:
    """A 429 waits until X-Rate-Limit-Reset, then the same call succeeds."""
    okta.org.inject_fault("rate_limit", path_prefix=USERS)
    response = okta.api().get(USERS, params={"limit": 1})
    assert response.status_code == 200
    assert [r.status for r in management_api_requests(okta.org)] == [429, 200]
    assert len(okta.time.slept) == 1


def test_a_page_gives_up_on_a_429_with_a_clear_message(okta: Harness) -> None:
    """With no time to wait (a page the admin is looking at), the 429 becomes 'try again in N s'."""
    okta.org.inject_fault("rate_limit", path_prefix=USERS)
    with pytest.raises(OktaRateLimitedError, match=r"rate limit was reached; it resets in \d+ s") as raised:
        okta.api(max_wait=0).get(USERS)
    assert 1 <= raised.value.retry_after <= 61
    assert okta.time.slept == []


def test_a_page_is_held_back_at_the_reserve_without_calling_okta(okta: Harness) -> None:
    """When the reserve is reached and the reset is further away than the call may wait, Signet
    answers at once, without spending one of the org's remaining calls."""
    okta.org.set_rate_limit("users_list", 3)
    api = okta.api(max_wait=0)
    api.get(USERS, params={"limit": 1})  # Remaining: 2, the reserve
    with pytest.raises(OktaRateLimitedError, match="Signet is pausing its Okta requests"):
        api.get(USERS, params={"limit": 1})
    assert len(management_api_requests(okta.org)) == 1


def test_server_errors_are_retried_with_backoff(okta: Harness) -> None:
    """Two 503s, then success: two backoffs (0.25 s, then 0.5 s without jitter)."""
    okta.org.inject_fault("http_error", status=503, count=2, path_prefix=USERS)
    assert okta.api().get(USERS, params={"limit": 1}).status_code == 200
    assert [r.status for r in management_api_requests(okta.org)] == [503, 503, 200]
    assert okta.time.slept == [0.25, 0.5]


def test_server_errors_give_up_after_a_bounded_number_of_tries(okta: Harness) -> None:
    """Three 500s in a row: the third reaches the caller."""
    okta.org.inject_fault("http_error", status=500, count=5, path_prefix=USERS)
    with pytest.raises(OktaApiError) as raised:
        okta.api().get(USERS)
    assert raised.value.status == 500
    assert len(management_api_requests(okta.org)) == 3


def test_a_dropped_connection_is_retried(okta: Harness) -> None:
    """A connection closed without an answer is tried again."""
    okta.org.inject_fault("drop", path_prefix=USERS)
    assert okta.api().get(USERS, params={"limit": 1}).status_code == 200
    assert [r.status for r in management_api_requests(okta.org)] == [0, 200]


def test_a_timeout_is_retried(sandbox: Any) -> None:
    """A call that times out is tried again (here: one slow answer, then a quick one)."""
    harness = _harness(sandbox, timeout=0.3)
    sandbox.sandbox.inject_fault("latency", latency_seconds=1.0, path_prefix=USERS)
    assert harness.api().get(USERS, params={"limit": 1}).status_code == 200
    assert len(harness.time.slept) == 1
    harness.http.close()


def test_an_unreachable_okta_is_not_retried(sandbox: Any) -> None:
    """A refused connection fails at once: no backoff, no waiting."""
    harness = _harness(sandbox)
    sandbox.stop()
    with pytest.raises(OktaUnreachableError):
        harness.api().get(USERS)
    assert harness.time.slept == []
    harness.http.close()
