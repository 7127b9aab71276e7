"""Outbound network safety: Okta is reached only over https at public addresses (PITFALLS 7.2).

What an admin types (the Okta domain) becomes a URL that Signet fetches, so without a guard the live
check would reach the cloud metadata service (169.254.169.254), private networks and this machine's own
ports. `GuardedTransport` resolves the host itself, refuses the connection unless every address is
public, and connects to the address it checked, so a DNS answer that changes between the check and the
connection (DNS rebinding) gains nothing. TLS is still verified against the host name: only the TCP
connection is pinned, through httpcore's public network-backend interface
(https://www.encode.io/httpcore/network-backends/); the request line, `Host` and SNI are untouched.

Loopback addresses, and plain http to them, are allowed only with `OKTA_ALLOW_LOOPBACK=true` (tests and
`make demo`, where the local Okta sandbox runs on 127.0.0.1). Never set it in production.

The live checks of the setup wizard are also limited per admin and process-wide (`live_check_slot`), so
typing in a form cannot make Signet hammer a host or tie up the workers that serve pages.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeoutError
from contextlib import contextmanager
from typing import Literal

import httpcore
import httpx
from flask import Flask, current_app, has_app_context, has_request_context, request
from flask_login import current_user

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AddressKind = Literal["public", "loopback", "refused"]
# A resolver maps (host, port) to the addresses to connect to; tests pass their own.
Resolver = Callable[[str, int], list[str]]

REFUSED_MESSAGE = "not a public internet address"
# NAT64 prefixes embed an IPv4 address that a NAT64 gateway would reach (RFC 6052, RFC 8215).
NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")
LIVE_CHECKS_PER_MINUTE = 10
LIVE_CHECKS_AT_ONCE = 2
LIVE_CHECK_LIMITER = "signet_live_checks"
_DNS_WORKERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="signet-dns")


class DestinationRefusedError(httpx.ConnectError):
    """A connection Signet refused to open: the destination is not a public address (or plain http).

    Raised before any packet is sent to the destination; the message never says more than that, so
    the error cannot be used to probe which private hosts or ports exist.
    """


def classify_address(address: IPAddress) -> AddressKind:
    """Whether `address` is public, loopback, or to be refused (private, link-local, reserved...).

    IPv6 forms that carry an IPv4 address (IPv4-mapped, 6to4, NAT64) are judged by that address.
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address in NAT64_LOCAL_USE or address.is_site_local:
            return "refused"
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in NAT64_WELL_KNOWN:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return classify_address(embedded)
    if address.is_loopback:
        return "loopback"
    if (
        not address.is_global
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    ):
        return "refused"
    return "public"


def address_allowed(address: IPAddress, *, allow_loopback: bool, loopback_only: bool = False) -> bool:
    """Whether Signet may connect to `address` under the given policy."""
    kind = classify_address(address)
    if kind == "loopback":
        return allow_loopback
    return kind == "public" and not loopback_only


def system_resolver(timeout: float | None) -> Resolver:
    """The operating system's resolver (getaddrinfo), given at most `timeout` seconds per lookup."""

    def resolve(host: str, port: int) -> list[str]:
        future = _DNS_WORKERS.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
        try:
            answers = future.result(timeout=timeout)
        except FutureTimeoutError as error:
            future.cancel()
            raise httpcore.ConnectTimeout(f"DNS lookup of {host} timed out") from error
        except OSError as error:  # socket.gaierror: the name does not exist
            raise httpcore.ConnectError(f"DNS lookup of {host} failed: {error}") from error
        return list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in answers))

    return resolve


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's socket backend, but it resolves the host itself and connects only to checked addresses."""

    def __init__(
        self, *, allow_loopback: bool, loopback_only: bool = False, resolver: Resolver | None = None
    ) -> None:
        self._allow_loopback = allow_loopback
        self._loopback_only = loopback_only
        self._resolver = resolver
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        """Resolve `host`, refuse unless every address is allowed, then connect to those addresses."""
        deadline = None if timeout is None else time.monotonic() + timeout
        resolver = self._resolver or system_resolver(timeout)
        addresses = resolver(host, port)
        # Every answer must pass: a name resolving to one public and one private address is refused,
        # or a failed connection to the first would fall through to the second.
        if not addresses or not all(self._allowed(address) for address in addresses):
            raise DestinationRefusedError(f"{host} is {REFUSED_MESSAGE}; Signet did not connect to it.")
        failure: Exception | None = None
        for address in addresses:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise httpcore.ConnectTimeout(f"Connecting to {host} timed out")
            try:
                return self._sockets.connect_tcp(
                    address, port, remaining, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        assert failure is not None
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        """Never: Okta is not on a Unix socket."""
        raise DestinationRefusedError(f"Unix sockets are {REFUSED_MESSAGE}.")

    def sleep(self, seconds: float) -> None:
        """Wait between connection retries (httpcore's backend interface)."""
        self._sockets.sleep(seconds)

    def _allowed(self, text: str) -> bool:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            return False
        return address_allowed(
            address, allow_loopback=self._allow_loopback, loopback_only=self._loopback_only
        )


class _PinnedHTTPTransport(httpx.HTTPTransport):
    """httpx's own transport (request mapping, errors, pooling) over a `GuardedBackend`.

    httpx 0.28 has no argument for the network backend yet (encode/httpx#3749), so the pool that
    `HTTPTransport.__init__` built is replaced by the same pool with our backend.
    """

    def __init__(
        self, backend: GuardedBackend, *, verify: ssl.SSLContext | bool, limits: httpx.Limits
    ) -> None:
        super().__init__(verify=verify, trust_env=False, limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport that reaches only public addresses over https (and loopback when allowed).

    Plain http goes through a second pool that accepts loopback addresses only, and exists only when
    loopback is allowed. Proxies from the environment are not used: a proxy would resolve the name
    itself, out of the guard's sight.
    """

    def __init__(
        self,
        *,
        allow_loopback: bool,
        resolver: Resolver | None = None,
        verify: ssl.SSLContext | bool = True,
        limits: httpx.Limits = httpx.Limits(max_connections=20, max_keepalive_connections=10),  # noqa: B008
    ) -> None:
        self._https = _PinnedHTTPTransport(
            GuardedBackend(allow_loopback=allow_loopback, resolver=resolver), verify=verify, limits=limits
        )
        self._http = (
            _PinnedHTTPTransport(
                GuardedBackend(allow_loopback=True, loopback_only=True, resolver=resolver),
                verify=verify,
                limits=limits,
            )
            if allow_loopback
            else None
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` through the pool for its scheme, or refuse it."""
        if request.url.scheme == "https":
            return self._https.handle_request(request)
        if request.url.scheme == "http" and self._http is not None:
            return self._http.handle_request(request)
        raise DestinationRefusedError(
            f"{request.url.host} over {request.url.scheme} is {REFUSED_MESSAGE} over https; "
            "Signet did not connect to it.",
            request=request,
        )

    def close(self) -> None:
        """Close both pools."""
        self._https.close()
        if self._http is not None:
            self._http.close()


def guarded_client(
    *,
    allow_loopback: bool,
    timeout: httpx.Timeout,
    headers: dict[str, str] | None = None,
    resolver: Resolver | None = None,
    verify: ssl.SSLContext | bool = True,
) -> httpx.Client:
    """An httpx client whose every connection goes through the guard; redirects are not followed."""
    return httpx.Client(
        transport=GuardedTransport(allow_loopback=allow_loopback, resolver=resolver, verify=verify),
        timeout=timeout,
        headers=headers,
        follow_redirects=False,
        trust_env=False,
    )


class LiveCheckRefusedError(Exception):
    """A live check that was not started (too many, or too many at once); `message` is for the admin."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LiveCheckLimiter:
    """At most `per_minute` live checks per admin, and `at_once` in the whole process.

    Live checks wait on the network (seconds, when a host is slow); the process-wide cap keeps the
    other worker threads free to serve pages, and the per-admin rate keeps a stuck key or a script
    from turning Signet into a request generator.
    """

    def __init__(
        self,
        *,
        per_minute: int = LIVE_CHECKS_PER_MINUTE,
        at_once: int = LIVE_CHECKS_AT_ONCE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._per_minute = per_minute
        self._slots = threading.BoundedSemaphore(at_once)
        self._clock = clock
        self._lock = threading.Lock()
        self._recent: dict[str, deque[float]] = {}

    @contextmanager
    def slot(self, key: str, *, counted: bool = True) -> Iterator[None]:
        """Hold one of the process's check slots; `counted` checks also count towards `key`'s rate."""
        if not self._slots.acquire(blocking=False):
            raise LiveCheckRefusedError(
                "Signet is busy with other checks right now. Try again in a few seconds."
            )
        try:
            if counted:
                self._count(key)
            yield
        finally:
            self._slots.release()

    def _count(self, key: str) -> None:
        now = self._clock()
        with self._lock:
            recent = self._recent.setdefault(key, deque())
            while recent and recent[0] <= now - 60:
                recent.popleft()
            if len(recent) >= self._per_minute:
                wait = max(1, int(recent[0] + 60 - now) + 1)
                raise LiveCheckRefusedError(
                    f"That's a lot of checks in a minute; slow down and try again in {wait} seconds."
                )
            recent.append(now)
            if len(self._recent) > 1000:  # forget idle keys so the table stays small
                for idle in [k for k, times in self._recent.items() if not times or times[-1] <= now - 60]:
                    del self._recent[idle]


def init_app(app: Flask) -> None:
    """Give the app its live-check limiter (one per app: tests never share one)."""
    app.extensions[LIVE_CHECK_LIMITER] = LiveCheckLimiter()


def live_check_key() -> str:
    """Who a live check counts against: the signed-in admin, else the client address."""
    if has_request_context():
        if current_user and current_user.is_authenticated:
            return f"admin:{getattr(current_user, 'id', None)}"
        return f"ip:{request.remote_addr or 'unknown'}"
    return "system"


@contextmanager
def live_check_slot(*, counted: bool = True) -> Iterator[None]:
    """Run a live check under the current app's limiter (no limit outside an app, e.g. unit tests).

    Raises `LiveCheckRefusedError` when the admin checks too often or the process is busy.
    """
    limiter: LiveCheckLimiter | None = (
        current_app.extensions.get(LIVE_CHECK_LIMITER) if has_app_context() else None
    )
    if limiter is None:
        yield
        return
    with limiter.slot(live_check_key(), counted=counted):
        yield
