"""The outbound guard: which addresses Signet may reach, pinning to the checked address, the limiter."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.core.fake_servers import ConnectionCounter, JsonServer, self_signed_certificate
from webapp.netguard import (
    DestinationRefusedError,
    LiveCheckLimiter,
    LiveCheckRefusedError,
    classify_address,
    guarded_client,
)

TIMEOUT = httpx.Timeout(2.0)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("8.8.8.8", "public"),
        ("2606:4700:4700::1111", "public"),
        ("::ffff:8.8.8.8", "public"),
        ("64:ff9b::808:808", "public"),  # NAT64 of a public address
        ("127.0.0.1", "loopback"),
        ("127.1.2.3", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("169.254.169.254", "refused"),  # cloud metadata
        ("::ffff:169.254.169.254", "refused"),
        ("2002:a9fe:a9fe::1", "refused"),  # 6to4 of 169.254.169.254
        ("64:ff9b::a9fe:a9fe", "refused"),  # NAT64 of 169.254.169.254
        ("64:ff9b:1::a00:1", "refused"),  # local-use NAT64
        ("10.0.0.1", "refused"),
        ("::ffff:10.0.0.1", "refused"),
        ("172.16.0.1", "refused"),
        ("192.168.1.1", "refused"),
        ("100.64.0.1", "refused"),  # carrier-grade NAT
        ("0.0.0.0", "refused"),  # noqa: S104 - reaches this machine on Linux
        ("::", "refused"),
        ("224.0.0.1", "refused"),
        ("255.255.255.255", "refused"),
        ("240.0.0.1", "refused"),
        ("192.0.2.1", "refused"),  # documentation
        ("fe80::1", "refused"),
        ("fc00::1", "refused"),
        ("fd12:3456::1", "refused"),
        ("fec0::1", "refused"),  # site-local
        ("ff02::1", "refused"),
        ("2001:db8::1", "refused"),
    ],
)
def test_addresses_are_classified(address: str, kind: str) -> None:
    """Only global unicast addresses are public; IPv6 forms carrying an IPv4 address are judged by it."""
    assert classify_address(ipaddress.ip_address(address)) == kind


@pytest.fixture
def no_outside_connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record (and fail) every attempt to open a TCP connection to anything but 127.0.0.1.

    Refused destinations must be refused before connecting; this also keeps any test from sending a
    packet off this machine, whatever the code under test does.
    """
    attempts: list[Any] = []
    real = socket.create_connection

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        if address[0] not in {"127.0.0.1", "::1", "localhost"}:
            attempts.append(address)
            raise OSError("test: outside connections are not made")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    return attempts


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.1/",
        "https://[fd00::1]/",
        "https://[::ffff:169.254.169.254]/",
        "http://169.254.169.254/",
    ],
)
def test_non_public_addresses_are_refused_before_connecting(
    url: str, no_outside_connections: list[Any]
) -> None:
    """Private, link-local and unique-local destinations are refused without a connection attempt."""
    with guarded_client(allow_loopback=True, timeout=TIMEOUT) as http, pytest.raises(DestinationRefusedError):
        http.get(url)
    assert no_outside_connections == []


@pytest.mark.parametrize(
    "template", ["https://127.0.0.1:{port}/", "http://127.0.0.1:{port}/", "https://0.0.0.0:{port}/"]
)
def test_this_machine_is_refused_without_loopback_setting(template: str) -> None:
    """Loopback (and 0.0.0.0, which reaches this machine) is refused unless OKTA_ALLOW_LOOPBACK is set."""
    counter = ConnectionCounter()
    try:
        with (
            guarded_client(allow_loopback=False, timeout=TIMEOUT) as http,
            pytest.raises(DestinationRefusedError),
        ):
            http.get(template.format(port=counter.port))
        assert counter.accepted() == 0
    finally:
        counter.close()


def test_host_names_are_resolved_and_checked(no_outside_connections: list[Any]) -> None:
    """A name that resolves to a private address is refused, and so is one with any private answer."""
    answers = {"inside.example": ["10.1.2.3"], "mixed.example": ["8.8.8.8", "192.168.0.10"]}

    def resolver(host: str, port: int) -> list[str]:
        return answers[host]

    with guarded_client(allow_loopback=True, timeout=TIMEOUT, resolver=resolver) as http:
        for host in answers:
            with pytest.raises(DestinationRefusedError):
                http.get(f"https://{host}/")
    assert no_outside_connections == []


def test_connection_goes_to_the_checked_address_with_the_host_name_kept() -> None:
    """The guard connects to the address it resolved and checked (DNS asked once), and the request still
    names the host, so a rebinding DNS answer after the check changes nothing."""
    calls: list[str] = []
    answers = iter([["127.0.0.1"], ["10.0.0.1"]])  # a second lookup would get a private address

    def rebinding_resolver(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    with JsonServer({"ok": True}) as server:
        with guarded_client(allow_loopback=True, timeout=TIMEOUT, resolver=rebinding_resolver) as http:
            response = http.get(f"http://okta.rebind.test:{server.port}/")
        assert response.json() == {"ok": True}
        assert server.hosts == [f"okta.rebind.test:{server.port}"]
    assert calls == ["okta.rebind.test"]


def test_tls_is_verified_against_the_host_name(tmp_path: Path) -> None:
    """Pinning the address keeps TLS checked against the name: a certificate for it passes, one for
    another name fails."""
    good_cert, good_key = self_signed_certificate("okta.pinned.test", tmp_path)
    other_cert, other_key = self_signed_certificate("elsewhere.test", tmp_path)

    def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    for cert, key, should_pass in ((good_cert, good_key, True), (other_cert, other_key, False)):
        server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_tls.load_cert_chain(cert, key)
        trust = ssl.create_default_context(cafile=str(good_cert))
        with (
            JsonServer({"tls": True}, tls=server_tls) as server,
            guarded_client(allow_loopback=True, timeout=TIMEOUT, resolver=resolver, verify=trust) as http,
        ):
            if should_pass:
                assert http.get(f"https://okta.pinned.test:{server.port}/").json() == {"tls": True}
            else:
                with pytest.raises(httpx.ConnectError) as failure:
                    http.get(f"https://okta.pinned.test:{server.port}/")
                assert not isinstance(failure.value, DestinationRefusedError)


def test_environment_proxies_are_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """An HTTPS_PROXY in the environment would resolve names out of the guard's sight: it is ignored."""
    with JsonServer({"direct": True}) as server:
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:1")
        monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:1")
        with guarded_client(allow_loopback=True, timeout=TIMEOUT) as http:
            assert http.get(f"http://127.0.0.1:{server.port}/").json() == {"direct": True}


def test_limiter_allows_ten_checks_a_minute_per_admin() -> None:
    """The 11th check within a minute is refused with a "slow down"; another admin is unaffected, and a
    minute later checks are allowed again."""
    now = [1000.0]
    limiter = LiveCheckLimiter(clock=lambda: now[0])
    for _ in range(10):
        with limiter.slot("admin:1"):
            pass
    with pytest.raises(LiveCheckRefusedError, match="slow down"), limiter.slot("admin:1"):
        pass
    with limiter.slot("admin:2"):
        pass
    with limiter.slot("admin:1", counted=False):  # a follow-up probe does not count
        pass
    now[0] += 61
    with limiter.slot("admin:1"):
        pass


def test_limiter_allows_two_checks_at_once() -> None:
    """While two checks are running, a third is told Signet is busy instead of waiting."""
    limiter = LiveCheckLimiter()
    inside = threading.Barrier(3)
    release = threading.Event()

    def hold() -> None:
        with limiter.slot("admin:1", counted=False):
            inside.wait()
            release.wait(5)

    holders = [threading.Thread(target=hold) for _ in range(2)]
    for holder in holders:
        holder.start()
    inside.wait()
    try:
        with pytest.raises(LiveCheckRefusedError, match="busy"), limiter.slot("admin:2"):
            pass
    finally:
        release.set()
        for holder in holders:
            holder.join()
    with limiter.slot("admin:2"):
        pass
