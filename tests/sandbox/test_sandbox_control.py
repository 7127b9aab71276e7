"""The /__sandbox/ control API and the `python -m okta_sandbox` CLI."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from okta_sandbox import OktaSandbox, SandboxServer


@pytest.fixture
def controlled() -> Iterator[httpx.Client]:
    """A sandbox with the control API enabled, and a client for it."""
    server = SandboxServer(OktaSandbox(seed=2, users=10), control_api=True).start()
    with httpx.Client(base_url=server.origin, timeout=10) as client:
        yield client
    server.stop()


def test_default_app_reflects_updates(org: OktaSandbox) -> None:
    """default_app is a fresh copy: updates made through update_app show up in it."""
    org.update_app(org.default_app.client_id, redirect_uris=["http://localhost:9999/cb"])
    assert org.default_app.redirect_uris == ["http://localhost:9999/cb"]
    assert (
        OktaSandbox(seed=1, users=3).default_app.client_id
        == OktaSandbox(seed=1, users=30).default_app.client_id
    )


def test_control_api_is_off_by_default(http: httpx.Client) -> None:
    """Without control_api=True, /__sandbox/ does not exist."""
    assert http.get("/__sandbox/").status_code == 404


def test_control_api_users_lifecycle(controlled: httpx.Client) -> None:
    """Create, update, deactivate, reactivate and delete a user over HTTP."""
    info = controlled.get("/__sandbox/").json()
    assert info["users"] == 11 and info["admin"]["login"] == "admin@sandbox.example"
    created = controlled.post(
        "/__sandbox/users",
        json={
            "profile": {"login": "a.b@x.example", "email": "a.b@x.example", "firstName": "A", "lastName": "B"}
        },
    )
    assert created.status_code == 201
    user_id = created.json()["id"]
    updated = controlled.patch(f"/__sandbox/users/{user_id}", json={"profile": {"title": "CTO"}}).json()
    assert updated["profile"]["title"] == "CTO"
    assert controlled.post(f"/__sandbox/users/{user_id}/deactivate").json()["status"] == "DEPROVISIONED"
    assert controlled.post(f"/__sandbox/users/{user_id}/reactivate").json()["status"] == "ACTIVE"
    assert controlled.post(f"/__sandbox/users/{user_id}/status", json={"status": "SUSPENDED"}).json()[
        "status"
    ] == ("SUSPENDED")
    assert controlled.delete(f"/__sandbox/users/{user_id}").status_code == 204
    assert controlled.get(f"/__sandbox/users/{user_id}").status_code == 404
    bad = controlled.post("/__sandbox/users", json={"profile": {"login": "x"}})
    assert bad.status_code == 400 and bad.json()["errorCode"] == "E0000001"


def test_control_api_tokens_limits_faults_clock_and_log(controlled: httpx.Client) -> None:
    """Tokens, rate limits, faults, the clock and the request log are all reachable over HTTP."""
    frozen = controlled.post("/__sandbox/clock", json={"freeze": "2030-01-01T00:00:10.000Z"}).json()
    assert frozen == {"now": "2030-01-01T00:00:10.000Z", "frozen": True}
    assert (
        controlled.post("/__sandbox/clock", json={"advance": 5}).json()["now"] == "2030-01-01T00:00:15.000Z"
    )
    tokens = controlled.post("/__sandbox/tokens", json={"scopes": "okta.users.read"}).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert controlled.get("/api/v1/users", headers=headers).status_code == 200

    assert controlled.put("/__sandbox/rate-limits", json={"users_list": 1}).json()["users_list"] == 1
    assert controlled.get("/api/v1/users", headers=headers).status_code == 429
    controlled.post("/__sandbox/rate-limits/reset")

    assert controlled.post("/__sandbox/faults", json={"kind": "http_error", "status": 503}).status_code == 201
    assert controlled.get("/api/v1/users", headers=headers).status_code == 503
    assert controlled.post("/__sandbox/faults", json={"kind": "nope"}).status_code == 400

    log = controlled.get("/__sandbox/requests", params={"path": "/api/v1/users"}).json()
    assert log["count"] == 3 and [r["status"] for r in log["requests"]] == [200, 429, 503]

    assert controlled.post("/__sandbox/tokens/revoke", json={}).json()["revoked"] >= 1
    assert controlled.get("/api/v1/users", headers=headers).status_code == 401


def test_control_api_apps_and_schema(controlled: httpx.Client) -> None:
    """Apps can be registered and updated, and custom attributes added, over HTTP."""
    app = controlled.post(
        "/__sandbox/apps",
        json={"redirect_uris": ["http://localhost:5000/cb"], "granted_scopes": ["okta.users.read"]},
    ).json()
    assert app["client_id"].startswith("0oa") and len(app["client_id"]) == 20
    changed = controlled.patch(f"/__sandbox/apps/{app['client_id']}", json={"assign_everyone": False}).json()
    assert changed["assign_everyone"] is False
    assert controlled.post("/__sandbox/apps", json={"redirect_uris": [], "colour": "red"}).status_code == 400
    attribute = controlled.post("/__sandbox/schema/attributes", json={"name": "team", "title": "Team"})
    assert attribute.status_code == 201 and attribute.json()["title"] == "Team"


def test_cli_prints_origin_and_serves_until_interrupted(tmp_path: Path) -> None:
    """python -m okta_sandbox prints origin, client id and admin sign-in, serves, and exits 0 on Ctrl-C."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "okta_sandbox",
            "--port",
            "0",
            "--users",
            "5",
            "--seed",
            "1",
            "--no-access-log",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(9)]
        text = "".join(lines)
        origin = re.search(r"listening on (http://127\.0\.0\.1:\d+)", text)
        assert origin, text
        assert re.search(r"SPA client id\s+: 0oa\w{17}", text)
        assert "admin@sandbox.example / Sandbox-Admin-1" in text
        assert "http://127.0.0.1:8000/callbacks/okta" in text
        info = httpx.get(f"{origin.group(1)}/__sandbox/", timeout=5).json()
        assert info["users"] == 6 and info["issuer"] == origin.group(1)
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
