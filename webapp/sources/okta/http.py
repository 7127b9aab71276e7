"""The one place every HTTP call to Okta goes through: an httpx transport under Signet's Okta client.

Token requests, revocation, Management API calls and the discovery probes of the setup wizard all
use the `httpx.Client` built here (`webapp.sources.okta.service`), so each of them:

- keeps a reserve of every rate-limit bucket for the org's other apps: once `X-Rate-Limit-Remaining`
  is down to the reserve, it waits for `X-Rate-Limit-Reset` before sending (`ratelimit.py`);
- on a 429, waits until the reset Okta announced (judged by Okta's `Date`, plus jitter), then retries;
- retries 5xx answers, timeouts and dropped connections with capped exponential backoff, a bounded
  number of times (a refused connection, a DNS or TLS failure is not retried: it won't heal in
  seconds);
- signs a fresh DPoP proof for every attempt when the request carries a key (`dpop.py`), and sends
  it again once when Okta asks for a new nonce.

All waiting of one call is bounded by its `max_wait` (seconds, counted from the call's start): a
page an admin is looking at gives up early with a clear "try again in N s" (a 429 reaches the
caller), while a background job passes a long `max_wait` and simply waits for the window to reset.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from webapp.sources.okta.dpop import DpopKey, DpopNonces, asks_for_nonce
from webapp.sources.okta.errors import OktaRateLimitedError
from webapp.sources.okta.ratelimit import RateHeaders, RateLimits, bucket_key

# Request extensions (httpx passes them through to the transport) that tune one call.
MAX_WAIT = "signet.okta.max_wait"
DPOP_KEY = "signet.okta.dpop_key"
# A `webapp.sources.base.RequestObserver` told of every attempt and wait (the sync run counts them),
# and a reserve fraction overriding the process-wide one for this call (the sync keeps more).
OBSERVER = "signet.okta.observer"
RESERVE = "signet.okta.reserve"
INTERACTIVE_MAX_WAIT = 15.0  # an admin is waiting for the page
BACKGROUND_MAX_WAIT = 900.0  # a job: several rate-limit windows
RETRIED_STATUSES = frozenset({500, 502, 503, 504})
# Timeouts and connections dropped after they were made; the request may or may not have arrived,
# which is safe here: reads are idempotent, a repeated refresh falls in Okta's rotation leeway.
RETRIED_ERRORS = (httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)
HELD_BACK_HEADER = "X-Signet-Held-Back"


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one call tries: attempts for 5xx/timeouts/drops, backoff, and the total wait."""

    max_attempts: int = 3
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    max_wait: float = INTERACTIVE_MAX_WAIT
    max_rate_limit_waits: int = 20

    def backoff(self, failures: int) -> float:
        """Seconds before retry number `failures` (1, 2...): exponential, capped."""
        return min(self.backoff_cap, self.backoff_base * 2.0 ** (failures - 1))


@dataclass
class Clock:
    """Time as the transport sees it; tests pass a fake that moves forward when `sleep` is called."""

    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    jitter: Callable[[], float] = field(default=random.random)  # noqa: S311 - not for secrets


def request_extensions(*, max_wait: float | None = None, dpop_key: DpopKey | None = None) -> dict[str, Any]:
    """The `extensions=` for a call: its wait budget and its DPoP key (both optional; `OBSERVER` and
    `RESERVE` may be added)."""
    extensions: dict[str, Any] = {}
    if max_wait is not None:
        extensions[MAX_WAIT] = max_wait
    if dpop_key is not None:
        extensions[DPOP_KEY] = dpop_key
    return extensions


def retry_after(response: httpx.Response) -> float:
    """Seconds until a 429'd bucket can be used again."""
    held = str(response.headers.get("retry-after", ""))
    if held.isdigit():
        return float(held)
    return RateHeaders.read(response.headers, wall_clock=time.time()).wait_after_429()


def rate_limited_error(response: httpx.Response) -> OktaRateLimitedError:
    """The error for a 429 that reached the caller, saying when to try again."""
    wait = retry_after(response)
    if response.headers.get(HELD_BACK_HEADER):
        message = (
            f"Signet is pausing its Okta requests for {math.ceil(wait)} s: Okta's rate limit is nearly "
            "used up, and the rest is left to your org's other apps. Try again then."
        )
    else:
        message = f"Okta's rate limit was reached; it resets in {math.ceil(wait)} s. Try again then."
    return OktaRateLimitedError(message, retry_after=wait)


def _held_back(request: httpx.Request, wait: float) -> httpx.Response:
    """A 429 made here, without calling Okta: waiting would exceed the call's `max_wait`."""
    return httpx.Response(
        429,
        headers={"Retry-After": str(math.ceil(wait)), HELD_BACK_HEADER: "1"},
        json={"errorCode": "E0000047", "errorSummary": "Held back by Signet to spare Okta's rate limit."},
        request=request,
    )


class OktaTransport(httpx.BaseTransport):
    """Rate limits, retries and DPoP proofs around the transport that really sends (`inner`)."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        limits: RateLimits | None = None,
        policy: RetryPolicy | None = None,
        nonces: DpopNonces | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.inner = inner
        self.limits = limits or RateLimits()
        self.policy = policy or RetryPolicy()
        self.nonces = nonces or DpopNonces()
        self.clock = clock or Clock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request`, waiting and retrying as the module docstring says."""
        return _Call(self, request).run()

    def close(self) -> None:
        """Close the inner transport."""
        self.inner.close()


class _Call:
    """The state of one call across its attempts."""

    def __init__(self, transport: OktaTransport, request: httpx.Request) -> None:
        self.t = transport
        self.request = request
        self.key = bucket_key(request)
        self.max_wait = float(request.extensions.get(MAX_WAIT, transport.policy.max_wait))
        dpop_key = request.extensions.get(DPOP_KEY)
        self.dpop_key: DpopKey | None = dpop_key if isinstance(dpop_key, DpopKey) else None
        self.observer = request.extensions.get(OBSERVER)
        reserve = request.extensions.get(RESERVE)
        self.reserve: float | None = float(reserve) if reserve is not None else None
        self.started = transport.clock.monotonic()
        self.failures = 0
        self.rate_limited = 0
        self.nonce_retried = False

    def run(self) -> httpx.Response:
        while True:
            held = self._wait_for_bucket()
            if held is not None:
                return held
            self._sign()
            if self.observer is not None:
                self.observer.request_sent()
            try:
                response = self.t.inner.handle_request(self.request)
            except RETRIED_ERRORS:
                if not self._back_off():
                    raise
                continue
            final = self._judge(response)
            if final is not None:
                return final

    def _may_wait(self, seconds: float) -> bool:
        return self.t.clock.monotonic() - self.started + seconds <= self.max_wait

    def _wait(self, seconds: float, *, rate_limited: bool) -> None:
        if self.observer is not None:
            self.observer.waiting(seconds, rate_limited=rate_limited)
        self.t.clock.sleep(seconds)

    def _wait_for_bucket(self) -> httpx.Response | None:
        """Wait while the bucket is down to the reserve; a 429 of our own if that takes too long."""
        while (
            delay := self.t.limits.delay_before(
                self.key, now=self.t.clock.monotonic(), reserve_fraction=self.reserve
            )
        ) > 0:
            delay += self.t.clock.jitter()
            if not self._may_wait(delay):
                return _held_back(self.request, delay)
            self._wait(delay, rate_limited=True)
        return None

    def _back_off(self) -> bool:
        """After a 5xx, timeout or drop: wait and say True to try again, or False to give up."""
        self.failures += 1
        delay = self.t.policy.backoff(self.failures) * (0.5 + self.t.clock.jitter())
        if self.failures >= self.t.policy.max_attempts or not self._may_wait(delay):
            return False
        self._wait(delay, rate_limited=False)
        return True

    def _sign(self) -> None:
        """A fresh DPoP proof per attempt (a proof is never sent twice; RFC 9449 §11.1)."""
        if self.dpop_key is None:
            return
        authorization = self.request.headers.get("authorization", "")
        token = authorization[5:] if authorization.startswith("DPoP ") else None
        self.request.headers["DPoP"] = self.dpop_key.proof(
            method=self.request.method,
            url=self.request.url,
            nonce=self.t.nonces.current(self.request.url),
            access_token=token,
            now=self.t.clock.wall,
        )

    def _judge(self, response: httpx.Response) -> httpx.Response | None:
        """The response to return, or None to try again (after any wait)."""
        rate = RateHeaders.read(response.headers, wall_clock=self.t.clock.wall())
        self.t.limits.observe(self.key, rate, now=self.t.clock.monotonic())
        if self.dpop_key is not None:
            self.t.nonces.remember(self.request.url, response)
        status = response.status_code
        if status == 429:
            self.rate_limited += 1
            delay = rate.wait_after_429() + self.t.clock.jitter()
            if self.rate_limited > self.t.policy.max_rate_limit_waits or not self._may_wait(delay):
                return response
            response.close()
            self._wait(delay, rate_limited=True)
            return None
        if status in RETRIED_STATUSES:
            if not self._back_off():
                return response
            response.close()
            return None
        if self.dpop_key is not None and not self.nonce_retried and asks_for_nonce(response):
            self.nonce_retried = True
            response.close()
            return None
        return response


def build_client(*, timeout: float, user_agent: str, transport: OktaTransport) -> httpx.Client:
    """Signet's HTTP client for Okta: bounded timeouts, no redirects followed, every call via `transport`."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
        headers={"User-Agent": user_agent},
        follow_redirects=False,
        transport=transport,
    )
