"""Event hooks in the sandbox: registration in Okta's shape, the one-time verification (with its
retry), batched deliveries with the auth header, one retry after a 5xx or a timeout, nothing for
unverified or inactive hooks, and the control API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from okta_sandbox import OktaSandbox, SandboxServer, event_hooks
from okta_sandbox.errors import ApiError
from okta_sandbox.specs import SpecValidator

SECRET = "s3cr3t-value"
USER_EVENTS = ["user.lifecycle.create", "user.account.update_profile", "user.lifecycle.suspend"]


@dataclass
class Receiver:
    """A tiny HTTP endpoint standing in for Signet: records every request; answers the challenge
    (unless told not to) and each POST with the next status of `statuses` (then 200)."""

    statuses: list[int] = field(default_factory=list)
    echo: bool = True
    hold: threading.Event | None = None
    stall_first: float = 0.0
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)

    def __call__(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        self.requests.append((request.method, dict(request.headers), request.get_data()))
        if request.method == "GET":
            challenge = request.headers.get(event_hooks.CHALLENGE_HEADER, "")
            body = {"verification": challenge if self.echo else "nope"}
            return Response(json.dumps(body), content_type="application/json")(environ, start_response)
        if self.hold is not None:
            self.hold.wait(10)
        if self.stall_first and len(self.posts) == 1:
            threading.Event().wait(self.stall_first)
        status = self.statuses.pop(0) if self.statuses else 200
        return Response("", status=status)(environ, start_response)

    @property
    def posts(self) -> list[tuple[str, dict[str, str], bytes]]:
        """The POSTs received so far."""
        return [item for item in self.requests if item[0] == "POST"]


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    """A receiver served on a free loopback port, and its URL."""
    handler = Receiver()
    server = make_server("127.0.0.1", 0, handler, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_port}/hooks/okta"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def fast_org() -> OktaSandbox:
    """A small org that batches events for 0.1 s."""
    org = OktaSandbox(seed=3, users=5)
    org.event_hook_batch_seconds = 0.1
    return org


def hook(org: OktaSandbox, url: str, events: list[str] | None = None) -> dict[str, Any]:
    """Register and verify a hook for the user events."""
    created = org.create_event_hook(name="Signet", uri=url, events=events or USER_EVENTS, auth_value=SECRET)
    return org.verify_event_hook(created["id"])


def test_registration_and_verification(
    fast_org: OktaSandbox, receiver: tuple[Receiver, str], okta_spec: SpecValidator
) -> None:
    """A hook is created ACTIVE and UNVERIFIED, in Okta's EventHook shape without the secret; Verify
    sends the challenge with the auth header and marks it VERIFIED."""
    handler, url = receiver
    created = fast_org.create_event_hook(name="Signet", uri=url, events=USER_EVENTS, auth_value=SECRET)
    assert (created["status"], created["verificationStatus"]) == ("ACTIVE", "UNVERIFIED")
    assert SECRET not in json.dumps(created)
    okta_spec.validate("EventHook", created)
    verified = fast_org.verify_event_hook(created["id"])
    assert verified["verificationStatus"] == "VERIFIED"
    method, headers, _ = handler.requests[-1]
    assert method == "GET" and headers["Authorization"] == SECRET
    assert len(headers[event_hooks.CHALLENGE_HEADER]) >= 32


def test_failed_verification_is_retried_once_then_refused(
    fast_org: OktaSandbox, receiver: tuple[Receiver, str]
) -> None:
    """An endpoint that does not echo the challenge: two GETs, a 400, the hook stays UNVERIFIED and
    gets no events."""
    handler, url = receiver
    handler.echo = False
    created = fast_org.create_event_hook(name="Signet", uri=url, events=USER_EVENTS, auth_value=SECRET)
    with pytest.raises(ApiError) as refused:
        fast_org.verify_event_hook(created["id"])
    assert refused.value.status == 400 and len(handler.requests) == 2
    fast_org.create_user(profile=_profile("unverified"))
    assert fast_org.flush_event_hooks()
    assert (
        handler.posts == [] and fast_org.get_event_hook(created["id"])["verificationStatus"] == "UNVERIFIED"
    )


def test_changes_are_delivered_batched_with_the_auth_header(
    fast_org: OktaSandbox, receiver: tuple[Receiver, str]
) -> None:
    """A create, a profile update and a suspend in a row arrive as one POST in Okta's envelope, with
    the secret header; events the hook did not subscribe to (sign-ins) are not sent."""
    handler, url = receiver
    hook(fast_org, url)
    user = fast_org.create_user(profile=_profile("batch"))
    fast_org.update_user(user["id"], profile={"title": "Engineer"})
    fast_org.set_status(user["id"], "SUSPENDED")
    fast_org.authenticate(fast_org.admin_login, fast_org.admin_password)
    assert fast_org.flush_event_hooks()
    assert len(handler.posts) == 1
    _, headers, raw = handler.posts[0]
    assert headers["Authorization"] == SECRET and headers["Content-Type"] == "application/json"
    body = json.loads(raw)
    assert (body["eventType"], body["eventTypeVersion"], body["cloudEventsVersion"]) == (
        "com.okta.event_hook",
        "1.0",
        "0.1",
    )
    assert body["source"].startswith(fast_org.origin + "/api/v1/eventHooks/who")
    assert body["eventId"] and body["eventTime"].endswith("Z") and body["contentType"] == "application/json"
    events = body["data"]["events"]
    assert [event["eventType"] for event in events] == USER_EVENTS
    assert {event["target"][0]["id"] for event in events} == {user["id"]}
    assert events[0]["target"][0]["type"] == "User" and len({event["uuid"] for event in events}) == 3
    (delivery,) = fast_org.event_hook_deliveries()
    assert delivery.delivered and delivery.attempts == ("200",)


def test_a_5xx_is_retried_once(fast_org: OktaSandbox, receiver: tuple[Receiver, str]) -> None:
    """A 500 then a 200: delivered on the retry; two 503s: given up after the retry; a 401 is final."""
    handler, url = receiver
    hook(fast_org, url)
    for statuses, attempts, delivered in [
        ([500], ("500", "200"), True),
        ([503, 503], ("503", "503"), False),
        ([401], ("401",), False),
    ]:
        handler.statuses = list(statuses)
        fast_org.create_user(profile=_profile(f"retry{len(handler.posts)}"))
        assert fast_org.flush_event_hooks()
        last = fast_org.event_hook_deliveries()[-1]
        assert (last.attempts, last.delivered) == (attempts, delivered)


def test_a_timeout_is_retried_once(
    fast_org: OktaSandbox, receiver: tuple[Receiver, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A receiver slower than the timeout on the first attempt gets the delivery again."""
    monkeypatch.setattr(event_hooks, "TIMEOUT_SECONDS", 0.3)
    handler, url = receiver
    hook(fast_org, url)
    handler.stall_first = 1.0
    fast_org.create_user(profile=_profile("slow"))
    assert fast_org.flush_event_hooks()
    last = fast_org.event_hook_deliveries()[-1]
    assert (last.attempts, last.delivered) == (("timeout", "200"), True)


def test_the_change_never_waits_for_the_delivery(
    fast_org: OktaSandbox, receiver: tuple[Receiver, str]
) -> None:
    """While the receiver is still holding a delivery, the sandbox keeps answering changes."""
    handler, url = receiver
    hook(fast_org, url)
    handler.hold = threading.Event()
    user = fast_org.create_user(profile=_profile("first"))
    assert fast_org.flush_event_hooks(timeout=0.5) is False  # the delivery is stuck in the receiver
    fast_org.update_user(user["id"], profile={"title": "Unblocked"})
    assert fast_org.get_user(user["id"])["profile"]["title"] == "Unblocked"
    handler.hold.set()
    assert fast_org.flush_event_hooks()
    assert sum(len(json.loads(body)["data"]["events"]) for _, _, body in handler.posts) == 2


def test_inactive_hooks_get_nothing(fast_org: OktaSandbox, receiver: tuple[Receiver, str]) -> None:
    """A deactivated hook receives no events; reactivated, it does again."""
    handler, url = receiver
    hook_id = hook(fast_org, url)["id"]
    fast_org.set_event_hook_status(hook_id, "INACTIVE")
    fast_org.create_user(profile=_profile("quiet"))
    assert fast_org.flush_event_hooks() and handler.posts == []
    fast_org.set_event_hook_status(hook_id, "ACTIVE")
    fast_org.create_user(profile=_profile("loud"))
    assert fast_org.flush_event_hooks() and len(handler.posts) == 1


def test_control_api(receiver: tuple[Receiver, str]) -> None:
    """POST /__sandbox/event-hooks registers and verifies; a control-API change is delivered; the
    deliveries are listed; an unknown hook is a 404; a bad body a 400."""
    handler, url = receiver
    server = SandboxServer(OktaSandbox(seed=2, users=4), control_api=True).start()
    try:
        with httpx.Client(base_url=server.origin, timeout=10) as control:
            body = {
                "name": "Signet",
                "events": {"type": "EVENT_TYPE", "items": ["user.account.update_profile"]},
                "channel": {
                    "type": "HTTP",
                    "version": "1.0.0",
                    "config": {
                        "uri": url,
                        "authScheme": {"type": "HEADER", "key": "Authorization", "value": SECRET},
                    },
                },
            }
            created = control.post("/__sandbox/event-hooks", json=body)
            assert created.status_code == 200 and created.json()["verificationStatus"] == "VERIFIED"
            assert control.get("/__sandbox/event-hooks").json()[0]["id"] == created.json()["id"]
            user = control.get("/__sandbox/users").json()[1]
            control.patch(f"/__sandbox/users/{user['id']}", json={"profile": {"title": "Over HTTP"}})
            assert control.post("/__sandbox/event-hooks/flush", json={}).json() == {"flushed": True}
            (delivery,) = control.get("/__sandbox/event-hooks/deliveries").json()
            assert delivery["target_ids"] == [user["id"]] and delivery["delivered"] is True
            assert control.post("/__sandbox/event-hooks/who000/verify").status_code == 404
            assert control.post("/__sandbox/event-hooks", json={"name": "x"}).status_code == 400
    finally:
        server.stop()
    assert handler.posts[0][1]["Authorization"] == SECRET


def _profile(name: str) -> dict[str, str]:
    return {
        "login": f"{name}@hooks.example",
        "email": f"{name}@hooks.example",
        "firstName": name.title(),
        "lastName": "Hook",
    }
