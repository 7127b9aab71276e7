"""The Okta domain check can't be pointed at this machine, private networks or the metadata service,
can't be redirected by a discovery document, and can't be used to tie up the server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import AuthActions, SignetTestClient, make_test_app
from tests.core.fake_servers import ConnectionCounter, JsonServer, closed_port, silent_server
from tests.helpers import page_text
from webapp.extensions import db
from webapp.netguard import DestinationRefusedError, guarded_client
from webapp.sources.okta.inputs import not_public_message, probe_okta_origin
from webapp.sources.okta.service import okta_services


@pytest.fixture
def production_app(tmp_path: Path) -> Iterator[Flask]:
    """An app configured as in production: OKTA_ALLOW_LOOPBACK unset."""
    app = make_test_app(
        f"sqlite:///{tmp_path / 'prod.db'}", tmp_path / "prod-instance", OKTA_ALLOW_LOOPBACK=False
    )
    yield app
    with app.app_context():
        db.dispose()


@pytest.fixture
def production_client(production_app: Flask) -> FlaskClient:
    """A signed-in admin's browser on `production_app`."""
    production_app.test_client_class = SignetTestClient
    client = production_app.test_client()
    auth = AuthActions(production_app, client)
    auth.create_admin()
    assert auth.login().status_code == 303
    return client


@pytest.fixture
def no_outside_connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Fail (and record) any TCP connection to anything but loopback: nothing leaves this machine."""
    attempts: list[Any] = []
    real = socket.create_connection

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        if address[0] not in {"127.0.0.1", "::1"}:
            attempts.append(address)
            raise OSError("test: outside connections are not made")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    return attempts


def test_non_public_targets_get_one_message_and_no_connection(
    production_app: Flask, no_outside_connections: list[Any]
) -> None:
    """Metadata service, private ranges, 0.0.0.0 and loopback (open or closed port, http or https) all
    get the same refusal, and nothing is contacted: the check can't be used as a port scanner."""
    counter = ConnectionCounter()
    closed = closed_port()
    targets = {
        "169.254.169.254": ["https://169.254.169.254"],
        "10.0.0.1": ["https://10.0.0.1:22", "https://10.0.0.1:8443"],
        "0.0.0.0": [f"https://0.0.0.0:{counter.port}", f"https://0.0.0.0:{closed}"],  # noqa: S104
        "127.0.0.1": [f"http://127.0.0.1:{counter.port}", f"https://127.0.0.1:{closed}"],
        "::1": [f"https://[::1]:{counter.port}"],
    }
    try:
        with production_app.app_context():
            for host, origins in targets.items():
                for origin in origins:
                    check, metadata = probe_okta_origin(origin, http=okta_services.http)
                    assert (check.code, metadata) == ("not_public", None), origin
                    assert check.message == not_public_message(host)
        assert counter.accepted() == 0
    finally:
        counter.close()
    assert no_outside_connections == []


def test_wizard_refuses_the_metadata_address(
    production_client: FlaskClient, no_outside_connections: list[Any]
) -> None:
    """Typing the cloud metadata address into the wizard gets the refusal, not a fetch."""
    response = production_client.post("/setup/okta/check-domain", data={"domain": "169.254.169.254"})
    assert not_public_message("169.254.169.254") in page_text(response)
    assert no_outside_connections == []


def test_sandbox_on_loopback_needs_the_setting(
    production_client: FlaskClient, client: FlaskClient, signed_in: AuthActions, sandbox: Any
) -> None:
    """The local sandbox is reachable only with OKTA_ALLOW_LOOPBACK=true (set by the tests' `app`)."""
    refused = production_client.post("/setup/okta/check-domain", data={"domain": sandbox.origin})
    assert not_public_message("127.0.0.1") in page_text(refused)
    allowed = client.post("/setup/okta/check-domain", data={"domain": sandbox.origin})
    assert "Found the Okta org at 127.0.0.1" in page_text(allowed)


def test_every_okta_call_goes_through_the_guard(production_app: Flask, app: Flask, sandbox: Any) -> None:
    """The shared client (token service, API, OAuth) refuses loopback in production and reaches the
    sandbox when loopback is allowed."""
    url = sandbox.origin + "/.well-known/openid-configuration"
    with production_app.app_context(), pytest.raises(DestinationRefusedError):
        okta_services.http.get(url)
    with app.app_context():
        assert okta_services.http.get(url).status_code == 200


def _discovery(origin: str, **changes: str) -> dict[str, str]:
    document = {
        "issuer": origin,
        "authorization_endpoint": f"{origin}/oauth2/v1/authorize",
        "token_endpoint": f"{origin}/oauth2/v1/token",
        "revocation_endpoint": f"{origin}/oauth2/v1/revoke",
        "jwks_uri": f"{origin}/oauth2/v1/keys",
        "userinfo_endpoint": f"{origin}/oauth2/v1/userinfo",
    }
    return {**document, **changes}


@pytest.fixture
def loopback_http() -> Iterator[httpx.Client]:
    """A guarded client as in tests and `make demo` (loopback allowed)."""
    with guarded_client(allow_loopback=True, timeout=httpx.Timeout(5.0)) as http:
        yield http


@pytest.mark.parametrize(
    ("key", "elsewhere"),
    [
        ("token_endpoint", "https://collector.example/oauth2/v1/token"),
        ("token_endpoint", "http://127.0.0.1:1/oauth2/v1/token"),  # same host, another port
        ("revocation_endpoint", "http://169.254.169.254/revoke"),
        ("jwks_uri", "https://collector.example/keys"),
        ("userinfo_endpoint", "https://collector.example/userinfo"),
    ],
)
def test_discovery_endpoints_must_share_the_domains_origin(
    key: str, elsewhere: str, loopback_http: httpx.Client
) -> None:
    """A discovery document that sends any endpoint to another origin fails the check, saying which."""
    with JsonServer() as server:
        origin = f"http://127.0.0.1:{server.port}"
        server.document = _discovery(origin)
        check, _ = probe_okta_origin(origin, http=loopback_http)
        assert check.code == "verified"  # the same document with every endpoint at home passes
        server.document = _discovery(origin, **{key: elsewhere})
        check, metadata = probe_okta_origin(origin, http=loopback_http)
    assert (check.code, metadata) == ("endpoint_elsewhere", None)
    assert key in check.message and origin in check.message


def test_discovery_with_same_origin_endpoints_passes(loopback_http: httpx.Client) -> None:
    """The same document with every endpoint on the domain (default port spelled out too) is accepted."""
    with JsonServer() as server:
        origin = f"http://127.0.0.1:{server.port}"
        server.document = _discovery(origin)
        server.document["authorization_endpoint"] = f"{origin}/oauth2/v1/authorize"
        server.document["end_session_endpoint"] = f"{origin}/oauth2/v1/logout"
        check, metadata = probe_okta_origin(origin, http=loopback_http)
    assert check.code == "verified"
    assert metadata is not None and metadata.token_endpoint == f"{origin}/oauth2/v1/token"


def test_a_silent_server_is_given_up_on_quickly(loopback_http: httpx.Client) -> None:
    """A host that accepts the connection and never answers is reported within a few seconds."""
    with silent_server() as port:
        started = time.monotonic()
        check, _ = probe_okta_origin(f"http://127.0.0.1:{port}", http=loopback_http)
    assert check.code == "timeout"
    assert time.monotonic() - started < 3.5


def test_a_slowly_dripping_answer_is_cut_off_at_five_seconds(loopback_http: httpx.Client) -> None:
    """An answer trickling in a byte at a time (each read quick) still ends the check at about 5 s."""
    with JsonServer(_discovery("http://127.0.0.1"), drip_seconds=0.05) as server:
        started = time.monotonic()
        check, _ = probe_okta_origin(f"http://127.0.0.1:{server.port}", http=loopback_http)
        elapsed = time.monotonic() - started
    assert check.code == "timeout"
    assert 4.5 < elapsed < 6.5


def test_live_checks_are_rate_limited_per_admin(client: FlaskClient, signed_in: AuthActions) -> None:
    """Ten checks a minute are answered; the eleventh is told to slow down, without contacting the host."""
    with JsonServer() as server:
        origin = f"http://127.0.0.1:{server.port}"
        server.document = _discovery(origin)
        for _ in range(10):
            response = client.post("/setup/okta/check-domain", data={"domain": origin})
            assert "Found the Okta org" in page_text(response)
        eleventh = page_text(client.post("/setup/okta/check-domain", data={"domain": origin}))
        assert len(server.hosts) == 10
    assert "slow down" in eleventh and "Found the Okta org" not in eleventh


def test_at_most_two_live_checks_run_at_once(app: Flask) -> None:
    """While two checks wait on a slow host, a third is answered "busy" at once instead of queueing."""
    results: list[str] = []
    with silent_server() as port:

        def slow_check() -> None:
            with app.app_context():
                check, _ = probe_okta_origin(f"http://127.0.0.1:{port}", http=okta_services.http)
                results.append(check.code)

        waiting = [threading.Thread(target=slow_check) for _ in range(2)]
        for thread in waiting:
            thread.start()
        time.sleep(1.0)  # both are now waiting on the silent host (5 s each)
        started = time.monotonic()
        with app.app_context():
            third, _ = probe_okta_origin(f"http://127.0.0.1:{port}", http=okta_services.http)
        # Queued behind them it would take seconds; a generous bound keeps a loaded machine from flaking.
        assert time.monotonic() - started < 2.0
        for thread in waiting:
            thread.join()
    assert third.code == "slow_down" and "busy" in third.message
    assert results == ["timeout", "timeout"]
