"""Per-bucket rate limits: presets, nested buckets, the Python, HTTP control and CLI configuration."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from okta_sandbox import DEFAULT_RATE_LIMITS, RATE_LIMIT_PRESETS, OktaSandbox, SandboxServer
from okta_sandbox.specs import SpecValidator
from okta_sandbox.testing import AuthorizationFlow, read_banner, spawn_cli

REPO = Path(__file__).resolve().parents[2]


def _reset_epoch(org: OktaSandbox) -> int:
    now = int(org.clock.now().timestamp())
    return now - now % 60 + 60


def test_real_2026_preset_matches_recorded_limits(
    http: httpx.Client, admin_headers: dict[str, str], org: OktaSandbox, flow: AuthorizationFlow
) -> None:
    """real-2026: users list/get and schemas 50 per minute, the token endpoint 150 (FACTS §8)."""
    limits = org.apply_rate_limit_preset("real-2026")
    assert limits == {**DEFAULT_RATE_LIMITS, "users_list": 50, "users_get": 50, "schemas": 50, "token": 150}
    user_id = org.list_users()[0]["id"]
    for path, expected in (
        ("/api/v1/users", "50"),
        (f"/api/v1/users/{user_id}", "50"),
        ("/api/v1/meta/schemas/user/default", "50"),
    ):
        assert http.get(path, headers=admin_headers).headers["x-rate-limit-limit"] == expected, path
    assert flow.refresh("unknown").headers["x-rate-limit-limit"] == "150"
    assert http.get("/.well-known/openid-configuration").headers["x-rate-limit-limit"] == "2000"


def test_fifty_per_minute_then_429_until_reset(
    http: httpx.Client, admin_headers: dict[str, str], org: OktaSandbox, okta_spec: SpecValidator
) -> None:
    """At 50 per minute the 51st list call is a 429 E0000047 with the window's reset epoch."""
    org.clock.freeze()
    org.apply_rate_limit_preset("real-2026")
    reset = _reset_epoch(org)
    remaining = [
        int(http.get("/api/v1/users", headers=admin_headers).headers["x-rate-limit-remaining"])
        for _ in range(50)
    ]
    assert remaining == list(range(49, -1, -1))
    limited = http.get("/api/v1/users", headers=admin_headers)
    assert limited.status_code == 429
    okta_spec.validate("Error", limited.json())
    assert limited.json()["errorCode"] == "E0000047"
    assert limited.headers["x-rate-limit-limit"] == "50"
    assert limited.headers["x-rate-limit-remaining"] == "0"
    assert limited.headers["x-rate-limit-reset"] == str(reset)
    org.clock.advance(reset - org.clock.now().timestamp())
    fresh = http.get("/api/v1/users", headers=admin_headers)
    assert fresh.status_code == 200 and fresh.headers["x-rate-limit-remaining"] == "49"
    assert fresh.headers["x-rate-limit-reset"] == str(reset + 60)


def test_token_bucket_is_counted_inside_oauth2(
    http: httpx.Client, flow: AuthorizationFlow, org: OktaSandbox
) -> None:
    """token limits only /oauth2/v1/token; it and oauth2 both count; headers show the tighter one."""
    org.clock.freeze()
    org.set_rate_limits({"token": 2, "oauth2": 5})
    first = flow.refresh("x")
    assert first.status_code == 400
    assert (first.headers["x-rate-limit-limit"], first.headers["x-rate-limit-remaining"]) == ("2", "1")
    assert flow.refresh("x").status_code == 400
    limited = flow.refresh("x")
    assert limited.status_code == 429 and limited.json()["errorCode"] == "E0000047"
    discovery = http.get("/.well-known/openid-configuration")
    assert discovery.status_code == 200
    # oauth2 counted the two token calls that went through, then this one.
    assert (discovery.headers["x-rate-limit-limit"], discovery.headers["x-rate-limit-remaining"]) == (
        "5",
        "2",
    )
    status = org.rate_limit_status()
    assert status["token"].remaining == 0 and status["oauth2"].remaining == 2


def test_authorize_bucket_limits_authorize_and_sign_in(flow: AuthorizationFlow, org: OktaSandbox) -> None:
    """/oauth2/v1/authorize and /login/signin share the authorize bucket."""
    org.clock.freeze()
    org.set_rate_limit("authorize", 1)
    page = flow.authorize()
    assert page.status_code == 200 and page.headers["x-rate-limit-limit"] == "1"
    limited = flow.sign_in(page)
    assert limited.status_code == 429 and limited.json()["errorCode"] == "E0000047"


def test_set_rate_limits_is_all_or_nothing(org: OktaSandbox) -> None:
    """An unknown bucket or a bad number changes nothing and names the problem."""
    before = org.rate_limits()
    with pytest.raises(ValueError, match="Unknown rate-limit bucket"):
        org.set_rate_limits({"users_list": 5, "users": 10})
    with pytest.raises(ValueError, match="whole number"):
        org.set_rate_limits({"users_list": "many"})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match=">= 0"):
        org.set_rate_limits({"users_list": -1})
    with pytest.raises(ValueError, match="preset"):
        org.apply_rate_limit_preset("real-1999")
    assert org.rate_limits() == before
    assert set(RATE_LIMIT_PRESETS) >= {"okta-default", "real-2026"}


@pytest.fixture
def controlled() -> Iterator[httpx.Client]:
    """A sandbox with the control API, and a client for it."""
    server = SandboxServer(OktaSandbox(seed=2, users=5), control_api=True).start()
    with httpx.Client(base_url=server.origin, timeout=10) as client:
        yield client
    server.stop()


def test_control_api_sets_buckets_and_presets(controlled: httpx.Client) -> None:
    """PUT /__sandbox/rate-limits, POST .../preset and GET .../status; unknown names are 400s."""
    assert (
        controlled.put("/__sandbox/rate-limits", json={"users_get": 7, "token": 9}).json()["users_get"] == 7
    )
    bad = controlled.put("/__sandbox/rate-limits", json={"users_list": 1, "nope": 1})
    assert bad.status_code == 400 and "nope" in bad.json()["message"]
    assert controlled.get("/__sandbox/rate-limits").json()["users_list"] == DEFAULT_RATE_LIMITS["users_list"]
    preset = controlled.post("/__sandbox/rate-limits/preset", json={"preset": "real-2026"}).json()
    assert preset["users_list"] == 50 and preset["token"] == 150 and preset["users_get"] == 50
    assert controlled.post("/__sandbox/rate-limits/preset", json={"preset": "x"}).status_code == 400
    status = controlled.get("/__sandbox/rate-limits/status").json()
    assert status["schemas"]["limit"] == 50 and status["schemas"]["remaining"] == 50
    assert status["schemas"]["reset"] % 60 == 0


def _cli(*args: str) -> subprocess.Popen[str]:
    return spawn_cli("--users", "3", *args)


def test_cli_rate_limit_options() -> None:
    """--rate-limit-preset then --rate-limit overrides are applied and announced."""
    process = _cli(
        "--rate-limit-preset", "real-2026", "--rate-limit", "users_list=7", "--rate-limit", "token=9"
    )
    try:
        text = read_banner(process)
        origin = re.search(r"listening on (http://127\.0\.0\.1:\d+)", text)
        assert origin, text
        assert "users_list=7" in text and "token=9" in text and "schemas=50" in text
        limits = httpx.get(f"{origin.group(1)}/__sandbox/rate-limits", timeout=5).json()
        assert (limits["users_list"], limits["users_get"], limits["token"]) == (7, 50, 9)
    finally:
        process.terminate()
        process.communicate(timeout=10)
    assert process.returncode == 0


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("users=50", "Unknown rate-limit bucket"),
        ("users_list=lots", "whole number"),
        ("users_list", "BUCKET="),
    ],
)
def test_cli_rejects_a_bad_rate_limit(argument: str, message: str) -> None:
    """A bad --rate-limit stops the CLI with a usage error naming the problem."""
    process = _cli("--rate-limit", argument)
    _, stderr = process.communicate(timeout=20)
    assert process.returncode == 2
    assert "--rate-limit" in stderr and message in stderr
