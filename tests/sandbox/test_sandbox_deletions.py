"""Deactivate-then-delete as real orgs do it (the two steps about a second apart), its events
delivered through event hooks, over the control API; and the lookup by ids Signet uses to find out
who is gone (`filter=id eq "..." or id eq "..."`, FACTS §2)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from werkzeug.serving import make_server

from okta_sandbox import OktaSandbox, SandboxServer
from tests.sandbox.test_sandbox_event_hooks import SECRET, Receiver

DELETION_EVENTS = [
    "user.lifecycle.deactivate",
    "user.lifecycle.delete.initiated",
    "user.lifecycle.delete.completed",
]


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    """A stand-in for Signet's hook endpoint on a free loopback port, and its URL."""
    handler = Receiver()
    server = make_server("127.0.0.1", 0, handler, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_port}/hooks/okta"
    server.shutdown()
    thread.join(5)


def test_lookup_by_ids_returns_every_status_and_skips_the_deleted(
    http: httpx.Client, org: OktaSandbox, admin_headers: dict[str, str]
) -> None:
    """`filter=id eq "a" or id eq "b" ...` returns exactly those users, DEPROVISIONED included; a
    deleted id is simply absent; ids are case-sensitive values; `ne` is refused as in Okta."""
    ids = [user["id"] for user in org.list_users()][1:5]
    org.deactivate_user(ids[0])
    org.delete_user(ids[1])
    expression = " or ".join(f'id eq "{user_id}"' for user_id in [*ids, "00uAAAAAAAAAAAAAAAAA"])
    response = http.get("/api/v1/users", params={"filter": expression, "limit": 200}, headers=admin_headers)
    assert response.status_code == 200
    found = {user["id"]: user["status"] for user in response.json()}
    assert set(found) == {ids[0], *ids[2:]} and found[ids[0]] == "DEPROVISIONED"
    lower = http.get("/api/v1/users", params={"filter": f'id eq "{ids[2].lower()}"'}, headers=admin_headers)
    assert lower.json() == [] or ids[2] == ids[2].lower()
    refused = http.get("/api/v1/users", params={"filter": f'id ne "{ids[2]}"'}, headers=admin_headers)
    assert refused.status_code == 400 and refused.json()["errorCode"] == "E0000031"


def test_deactivate_then_delete_over_the_control_api_delivers_the_events(
    receiver: tuple[Receiver, str],
) -> None:
    """`POST /__sandbox/users/deactivate-and-delete` deactivates every user, waits `gap_seconds`,
    then deletes them; the hook receives deactivate, delete.initiated and delete.completed for
    each, in that order; the users are gone from every listing; bad bodies are 400s, unknown ids
    404s with nothing changed."""
    handler, url = receiver
    org = OktaSandbox(seed=4, users=6)
    org.event_hook_batch_seconds = 0.1
    created = org.create_event_hook(name="Signet", uri=url, events=DELETION_EVENTS, auth_value=SECRET)
    org.verify_event_hook(created["id"])
    server = SandboxServer(org, control_api=True).start()
    try:
        with httpx.Client(base_url=server.origin + "/__sandbox", timeout=10) as control:
            targets = [user["id"] for user in control.get("/users").json()[1:3]]
            started = time.monotonic()
            done = control.post("/users/deactivate-and-delete", json={"ids": targets, "gap_seconds": 0.3})
            assert done.status_code == 204 and 0.3 <= time.monotonic() - started < 5
            assert control.post("/event-hooks/flush", json={}).json() == {"flushed": True}
            assert not set(targets) & {
                u["id"] for u in control.get("/users?include_deprovisioned=true").json()
            }
            for bad in (
                {"ids": []},
                {"ids": "x"},
                {"ids": targets, "gap_seconds": 9},
                {"ids": targets, "gap_seconds": "1"},
            ):
                assert control.post("/users/deactivate-and-delete", json=bad).status_code == 400
            survivor = control.get("/users").json()[1]["id"]
            unknown = control.post("/users/deactivate-and-delete", json={"ids": [survivor, "00uNOPE"]})
            assert unknown.status_code == 404
            assert control.get(f"/users/{survivor}").json()["status"] == "ACTIVE"
    finally:
        server.stop()
    events = [event for _, _, raw in handler.posts for event in json.loads(raw)["data"]["events"]]
    for target in targets:
        mine = [event["eventType"] for event in events if event["target"][0]["id"] == target]
        assert mine == DELETION_EVENTS
    published = {event["eventType"]: event["published"] for event in events}
    assert published["user.lifecycle.deactivate"] <= published["user.lifecycle.delete.completed"]


def test_link_origin_lever() -> None:
    """`PUT /__sandbox/links` makes the listing's Link headers name another origin (as an org
    reached through a custom domain might send its *.okta.com name); null restores the org's."""
    server = SandboxServer(OktaSandbox(seed=1, users=25), control_api=True).start()
    try:
        headers = {"Authorization": f"Bearer {server.sandbox.issue_tokens_for_tests()['access_token']}"}
        with httpx.Client(base_url=server.origin, timeout=10) as http:
            assert http.put("/__sandbox/links", json={"origin": "https://acme.okta.com/"}).json() == {
                "origin": "https://acme.okta.com"
            }
            page = http.get("/api/v1/users", params={"limit": 5}, headers=headers)
            assert page.links["next"]["url"].startswith("https://acme.okta.com/api/v1/users?after=")
            assert http.put("/__sandbox/links", json={"origin": 3}).status_code == 400
            assert http.put("/__sandbox/links", json={"origin": None}).json() == {"origin": None}
            again = http.get("/api/v1/users", params={"limit": 5}, headers=headers)
            assert again.links["next"]["url"].startswith(server.origin + "/api/v1/users?after=")
    finally:
        server.stop()
