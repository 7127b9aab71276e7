"""--state-file: the org, its grants and tokens, limits and DPoP settings survive a restart."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from okta_sandbox import OAuthError, OktaSandbox, SandboxServer
from okta_sandbox.state_codec import StateFileError
from okta_sandbox.testing import AuthorizationFlow, DPoPKey, read_banner, spawn_cli


def _change_everything(org: OktaSandbox, http: httpx.Client) -> dict[str, Any]:
    """Tokens from the real flow, a DPoP app with bound tokens, and changes to users, schema, limits."""
    org.clock.freeze()
    flow = AuthorizationFlow(http=http, org=org)
    tokens = flow.tokens()
    dpop_app = org.register_app(redirect_uris=["http://dpop.example/cb"], dpop_bound_access_tokens=True)
    key = DPoPKey.generate(clock=org.clock)
    bound = org.issue_tokens_for_tests(client_id=dpop_app.client_id, dpop_jkt=key.jkt)
    org.update_app(
        org.default_app.client_id, redirect_uris=["http://127.0.0.1:8000/callbacks/okta", "http://x/cb"]
    )
    created = org.create_user(
        profile={"login": "kept@x.example", "email": "kept@x.example", "firstName": "K", "lastName": "P"}
    )
    org.add_schema_attribute("team", title="Team")
    org.apply_rate_limit_preset("real-2026")
    org.set_rate_limit("users_list", 7)
    return {
        "tokens": tokens,
        "bound": bound,
        "key": key,
        "dpop_app": dpop_app.client_id,
        "user": created["id"],
    }


def test_restart_keeps_org_grants_tokens_and_settings(tmp_path: Path) -> None:
    """After a restart the refresh token still works, access tokens verify and are accepted, settings stay."""
    path = tmp_path / "org.json"
    org = OktaSandbox(seed=3, users=8, state_file=path)
    with SandboxServer(org) as server, httpx.Client(base_url=server.origin, timeout=10) as http:
        saved = _change_everything(org, http)
        before = org.describe()
    org.close()

    again = OktaSandbox(seed=99, users=1, state_file=path)  # seed and users are ignored when loading
    with SandboxServer(again) as server, httpx.Client(base_url=server.origin, timeout=10) as http:
        after = again.describe()
        assert after["apps"] == before["apps"] and after["rateLimits"]["users_list"] == 7
        assert (
            after["users"] == before["users"] == 10
            and again.get_user(saved["user"])["profile"]["firstName"] == "K"
        )
        assert "team" in again.user_schema()["definitions"]["custom"]["properties"]
        access = saved["tokens"]["access_token"]
        keys = KeySet.import_key_set(http.get("/oauth2/v1/keys").json())
        assert jwt.decode(access, keys, algorithms=["RS256"]).claims["uid"]
        users = http.get("/api/v1/users", headers={"Authorization": f"Bearer {access}"})
        assert users.status_code == 200 and users.headers["x-rate-limit-limit"] == "7"
        flow = AuthorizationFlow(http=http, org=again)
        refreshed = flow.refresh(saved["tokens"]["refresh_token"])
        assert refreshed.status_code == 200, refreshed.text
        assert refreshed.json()["refresh_token"] != saved["tokens"]["refresh_token"]
        url = f"{server.origin}/api/v1/users"
        bound = saved["bound"]["access_token"]
        key: DPoPKey = saved["key"]
        key.clock = again.clock
        assert http.get(url, headers=key.api_headers("GET", url, bound)).status_code == 200
        assert http.get(url, headers={"Authorization": f"Bearer {bound}"}).status_code == 401


def test_reuse_detection_survives_a_restart(tmp_path: Path) -> None:
    """A rotated refresh token's first use is saved: its late reuse still revokes the family."""
    path = tmp_path / "org.json"
    org = OktaSandbox(seed=1, users=2, state_file=path)
    tokens = org.issue_tokens_for_tests()
    client_id = org.default_app.client_id
    newer = org.refresh(client_id=client_id, refresh_token=tokens["refresh_token"], scope=None)
    org.close()
    again = OktaSandbox(state_file=path)
    again.clock.advance(31)
    with pytest.raises(OAuthError, match="invalid_grant"):
        again.refresh(client_id=client_id, refresh_token=tokens["refresh_token"], scope=None)
    assert again.check_access_token(newer["access_token"]) is None


def test_saves_are_atomic_private_and_debounced(tmp_path: Path) -> None:
    """The file appears at start, is 0600, has no leftover temp files, and follows changes on its own."""
    path = tmp_path / "org.json"
    org = OktaSandbox(seed=1, users=2, state_file=path)
    assert path.exists() and path.stat().st_mode & 0o777 == 0o600
    document = json.loads(path.read_text())
    assert document["format"] == "okta_sandbox.state" and document["version"] == 1
    org.set_rate_limit("schemas", 11)
    deadline = time.monotonic() + 5
    while json.loads(path.read_text())["rateLimits"]["schemas"] != 11:
        assert time.monotonic() < deadline, "the change was not saved"
        time.sleep(0.05)
    assert [item.name for item in tmp_path.iterdir()] == ["org.json"]
    org.close()


def test_unreadable_state_files_are_refused(tmp_path: Path) -> None:
    """Garbage, another JSON document or another version: StateFileError, and the file is left alone."""
    path = tmp_path / "org.json"
    for content in ("{not json", '{"hello": 1}', '{"format": "okta_sandbox.state", "version": 99}'):
        path.write_text(content)
        with pytest.raises(StateFileError):
            OktaSandbox(state_file=path)
        assert path.read_text() == content
    path.write_text(json.dumps({"format": "okta_sandbox.state", "version": 1, "seed": 1}))
    with pytest.raises(StateFileError, match="KeyError"):
        OktaSandbox(state_file=path)


def test_control_api_saves_on_demand(tmp_path: Path) -> None:
    """POST /__sandbox/state/save writes the file now; without a state file it is a 400."""
    path = tmp_path / "org.json"
    org = OktaSandbox(seed=1, users=2, state_file=path)
    with SandboxServer(org, control_api=True) as server:
        assert httpx.get(f"{server.origin}/__sandbox/").json()["stateFile"] == str(path)
        saved = httpx.post(f"{server.origin}/__sandbox/state/save")
        assert saved.status_code == 200 and saved.json() == {"saved": str(path)}
    org.close()
    with SandboxServer(OktaSandbox(seed=1, users=1), control_api=True) as server:
        assert httpx.post(f"{server.origin}/__sandbox/state/save").status_code == 400


def _start(path: Path, *args: str) -> tuple[Any, str, str]:
    process = spawn_cli("--users", "4", "--state-file", str(path), *args)
    banner = read_banner(process)
    origin = banner.split("listening on ")[1].split()[0]
    return process, origin, banner


def test_cli_state_survives_kill_term(tmp_path: Path) -> None:
    """Changes made just before a SIGTERM are on disk; the restarted CLI serves the same tokens."""
    path = tmp_path / "org.json"
    process, origin, banner = _start(path, "--dpop")
    assert "(new)" in banner
    try:
        tokens = httpx.post(f"{origin}/__sandbox/tokens", json={}).json()
        assert httpx.put(f"{origin}/__sandbox/rate-limits", json={"users_list": 7}).status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)  # at once: before the debounced save would run
        process.communicate(timeout=20)
    assert process.returncode == 0

    process, origin, banner = _start(path)
    try:
        assert "(loaded)" in banner and "DPoP required        : yes" in banner
        assert "users_list=7" in banner
        listed = httpx.get(
            f"{origin}/api/v1/users", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
        assert listed.status_code == 200 and listed.headers["x-rate-limit-limit"] == "7"
        client_id = httpx.get(f"{origin}/__sandbox/").json()["defaultClientId"]
        data = {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": client_id,
        }
        # The app now requires DPoP, but these tokens were minted as Bearer before: a proof binds them.
        key = DPoPKey.generate()
        first = httpx.post(
            f"{origin}/oauth2/v1/token",
            data=data,
            headers={"DPoP": key.proof("POST", f"{origin}/oauth2/v1/token")},
        )
        assert first.json()["error"] == "use_dpop_nonce" and key.remember_nonce(first)
        refreshed = httpx.post(
            f"{origin}/oauth2/v1/token",
            data=data,
            headers={"DPoP": key.proof("POST", f"{origin}/oauth2/v1/token")},
        )
        assert refreshed.status_code == 200 and refreshed.json()["token_type"] == "DPoP"
    finally:
        process.terminate()
        process.communicate(timeout=20)


def test_cli_refuses_a_broken_state_file(tmp_path: Path) -> None:
    """A state file that cannot be read stops the CLI with a message, not a traceback."""
    path = tmp_path / "org.json"
    path.write_text("{broken")
    process = spawn_cli("--state-file", str(path))
    _, stderr = process.communicate(timeout=20)
    assert process.returncode == 1 and "Cannot read the state file" in stderr and "Traceback" not in stderr


def test_changes_to_already_saved_users_are_saved_again(tmp_path: Path) -> None:
    """A user saved once, then updated, deactivated or signed in, is saved with the change."""
    path = tmp_path / "org.json"
    org = OktaSandbox(seed=1, users=12, state_file=path)
    org.save_state()  # every user's saved form is now cached
    org.clock.freeze()
    target = org.list_users(filter='status eq "ACTIVE"')[1]
    org.update_user(target["id"], profile={"title": "Changed after a save", "languages": ["Welsh"]})
    gone = org.list_users(filter='status eq "ACTIVE"')[2]["id"]
    org.deactivate_user(gone)
    assert org.authenticate(org.admin_login, org.admin_password)
    expected = {user["id"]: user for user in org.list_users(include_deprovisioned=True)}
    org.close()
    again = OktaSandbox(state_file=path)
    assert {user["id"]: user for user in again.list_users(include_deprovisioned=True)} == expected
    assert again.get_user(target["id"])["profile"]["languages"] == ["Welsh"]
    assert again.get_user(gone)["status"] == "DEPROVISIONED"
    snapshot = again.save_state(tmp_path / "copy.json")
    copy = OktaSandbox(state_file=snapshot)
    assert copy.user_count() == again.user_count()
    copy.close()
    again.close()
