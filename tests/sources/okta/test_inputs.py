"""What the admin types: Okta domain normalisation and live checks, Client ID checks."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from webapp.netguard import guarded_client
from webapp.sources.okta.inputs import (
    check_client_id,
    normalise_okta_domain,
    probe_client_id,
    probe_okta_origin,
)


@pytest.mark.parametrize(
    ("typed", "origin", "severity"),
    [
        ("dev-123.okta.com", "https://dev-123.okta.com", "ok"),
        ("  https://dev-123.okta.com/  ", "https://dev-123.okta.com", "ok"),
        ("https://DEV-123.Okta.com/app/UserHome?x=1", "https://dev-123.okta.com", "warning"),
        ("acme.oktapreview.com", "https://acme.oktapreview.com", "ok"),
        ("acme.okta-emea.com", "https://acme.okta-emea.com", "ok"),
        ("login.acme.example", "https://login.acme.example", "warning"),
        ("http://127.0.0.1:9000", "http://127.0.0.1:9000", "ok"),
        ("http://localhost:9000/", "http://localhost:9000", "ok"),
        ("https://dev-123.okta.com:8443", "https://dev-123.okta.com:8443", "ok"),
    ],
)
def test_domain_is_normalised(typed: str, origin: str, severity: str) -> None:
    """Hosts, URLs with paths, previews, EMEA and custom domains become a bare https origin."""
    check = normalise_okta_domain(typed)
    assert check.origin == origin
    assert check.severity == severity
    assert check.ok


@pytest.mark.parametrize(
    ("typed", "code", "fragment"),
    [
        ("", "empty", "Enter your Okta domain"),
        ("dev-123-admin.okta.com", "admin_console", "Your Okta domain is dev-123.okta.com"),
        ("https://acme-admin.oktapreview.com/admin/dashboard", "admin_console", "acme.oktapreview.com"),
        ("http://dev-123.okta.com", "needs_https", "https"),
        ("not a domain", "not_a_domain", "is not a domain name"),
        ("okta", "not_a_domain", "is not a domain name"),
        ("ftp://dev-123.okta.com", "bad_scheme", "https://"),
        ("https://user:pw@dev-123.okta.com", "not_a_domain", "user name or password"),
    ],
)
def test_bad_domains_get_specific_messages(typed: str, code: str, fragment: str) -> None:
    """Each kind of wrong domain has its own message (and the admin console gets a suggestion)."""
    check = normalise_okta_domain(typed)
    assert not check.ok
    assert check.code == code
    assert fragment in check.message


def test_admin_console_domain_suggests_the_org_domain() -> None:
    """The admin-console host comes with a one-click suggestion of the right domain."""
    assert normalise_okta_domain("dev-123-admin.okta.com").suggestion == "dev-123.okta.com"


@pytest.mark.parametrize(
    ("typed", "severity", "code"),
    [
        ("0oa1b2c3d4e5f6g7h8i9", "ok", "ok"),
        ("  0oa1b2c3d4e5f6g7h8i9 ", "ok", "ok"),
        ("", "error", "empty"),
        ("0oa1 b2c3", "error", "has_spaces"),
        ("my-client", "warning", "unusual_shape"),
        ("Jx8k2Qm9Zr4Tb7Wc1Ye5Uf3Ig6Oh0Pl2Ks8Dn4Mv7Ra1Sb", "warning", "looks_like_secret"),
    ],
)
def test_client_id_checks(typed: str, severity: str, code: str) -> None:
    """Client IDs are trimmed; odd shapes warn; a secret-looking value is called out."""
    check = check_client_id(typed)
    assert (check.severity, check.code) == (severity, code)
    if check.ok:
        assert check.client_id == typed.strip()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """A real HTTP client behind the address guard, loopback allowed (as for the sandbox)."""
    with guarded_client(allow_loopback=True, timeout=httpx.Timeout(1.5)) as client:
        yield client


def test_live_check_finds_the_sandbox_org(sandbox: Any, http: httpx.Client) -> None:
    """The sandbox's discovery document passes: issuer matches, org authorization server found."""
    check, metadata = probe_okta_origin(sandbox.origin, http=http)
    assert check.code == "verified"
    assert metadata is not None and metadata.token_endpoint == sandbox.origin + "/oauth2/v1/token"


def test_live_check_reports_issuer_mismatch(sandbox: Any, http: httpx.Client) -> None:
    """Reaching the org by another name than its issuer is reported as an issuer mismatch."""
    other_name = sandbox.origin.replace("127.0.0.1", "localhost")
    check, metadata = probe_okta_origin(other_name, http=http)
    assert (check.code, metadata) == ("issuer_mismatch", None)
    assert sandbox.origin in check.message


def test_live_check_reports_dns_failure(http: httpx.Client) -> None:
    """A domain that doesn't resolve gets the DNS message."""
    check, _ = probe_okta_origin("https://no-such-org.invalid", http=http)
    assert check.code == "dns"
    assert "does not exist" in check.message


def test_live_check_reports_not_okta(live_server: Any, http: httpx.Client) -> None:
    """A web server that is not an Okta org (here: Signet itself) is reported as such."""
    check, _ = probe_okta_origin(live_server.url, http=http)
    assert check.code == "not_okta"


def _silent_server() -> tuple[socket.socket, int]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    return listener, listener.getsockname()[1]


def test_live_check_reports_timeout(http: httpx.Client) -> None:
    """A server that accepts the connection but never answers gets the timeout message."""
    listener, port = _silent_server()
    try:
        check, _ = probe_okta_origin(f"http://127.0.0.1:{port}", http=http)
    finally:
        listener.close()
    assert check.code == "timeout"


def test_live_check_reports_tls_error(sandbox: Any, http: httpx.Client) -> None:
    """Speaking https to a server that doesn't (or has a bad certificate) gets the TLS message."""
    check, _ = probe_okta_origin(sandbox.origin.replace("http://", "https://"), http=http)
    assert check.code == "tls"


def test_live_check_reports_refused_connection(http: httpx.Client) -> None:
    """Nothing listening on the port gets the could-not-connect message."""
    listener, port = _silent_server()
    listener.close()
    check, _ = probe_okta_origin(f"http://127.0.0.1:{port}", http=http)
    assert check.code == "unreachable"


def test_client_id_probe_tells_unknown_from_known(sandbox: Any, http: httpx.Client) -> None:
    """Okta's token endpoint answers invalid_client for an unknown Client ID, not for a known one."""
    token_endpoint = sandbox.origin + "/oauth2/v1/token"
    redirect = "http://127.0.0.1:8000/callbacks/okta"
    known = sandbox.sandbox.default_app.client_id
    assert probe_client_id(known, token_endpoint=token_endpoint, redirect_uri=redirect, http=http) is None
    unknown = probe_client_id(
        "0oaUNKNOWNUNKNOWN000", token_endpoint=token_endpoint, redirect_uri=redirect, http=http
    )
    assert unknown is not None and unknown.code == "invalid_client"
