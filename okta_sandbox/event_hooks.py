"""Event hooks: the sandbox calls a registered URL when users change, the way Okta does.

Okta's contract (https://developer.okta.com/docs/concepts/event-hooks/; the ``EventHook`` schema
and ``verifyEventHook`` in ``spec/management-minimal.yaml``):

- A hook is ``{name, events: {type: EVENT_TYPE, items: [...]}, channel: {type: HTTP, version:
  1.0.0, config: {uri, headers?, authScheme?: {type: HEADER, key, value}}}}``; it is created
  ``ACTIVE`` and ``UNVERIFIED``; the auth value is write-only (never returned).
- *Verify* sends a GET with ``X-Okta-Verification-Challenge``; the endpoint must answer
  ``{"verification": <the same value>}``. "If a response is not received within 3 seconds, the
  outbound request times out. One retry is attempted after a timeout or error response."
  Only ``ACTIVE`` and ``VERIFIED`` hooks receive events.
- Deliveries are POSTs of JSON: ``{eventType: "com.okta.event_hook", eventTypeVersion: "1.0",
  cloudEventsVersion: "0.1", source, eventId, eventTime, contentType, data: {events: [...]}}``,
  each event a System Log ``LogEvent`` (``uuid``, ``published``, ``eventType``, ``target[]``...),
  with ``Accept``/``Content-Type: application/json`` and the auth header. Okta may put several
  events in one delivery, waits 3 seconds for a 2xx, and retries once.

Here events are collected for ``batch_seconds`` (default 0.5 s) after the first one and sent by a
background thread, so the call that changed the user is never slowed. A delivery is retried once
after a timeout, a dropped connection or a 5xx (a 4xx is the receiver's final answer). Hooks are
not saved in the state file.
"""

from __future__ import annotations

import json
import random
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from okta_sandbox.clock import okta_timestamp
from okta_sandbox.errors import ApiError
from okta_sandbox.ids import okta_id
from okta_sandbox.users_api import UsersMixin

EVENT_HOOK_PREFIX = "who"
CHALLENGE_HEADER = "X-Okta-Verification-Challenge"
TIMEOUT_SECONDS = 3.0
DEFAULT_BATCH_SECONDS = 0.5
MAX_EVENTS_PER_DELIVERY = 50
MAX_DELIVERY_LOG = 200
# System Log display messages of the user events the sandbox announces (Okta's event-type catalog).
DISPLAY_MESSAGES = {
    "user.lifecycle.create": "Create Okta user",
    "user.lifecycle.activate": "Activate Okta user",
    "user.lifecycle.deactivate": "Deactivate Okta user",
    "user.lifecycle.suspend": "Suspend Okta user",
    "user.lifecycle.unsuspend": "Unsuspend Okta user",
    "user.lifecycle.delete.initiated": "Delete Okta user initiated",
    "user.lifecycle.delete.completed": "Delete Okta user completed",
    "user.account.update_profile": "Update user profile for Okta",
}


@dataclass
class EventHook:
    """One registered hook (Okta's ``EventHook``)."""

    id: str
    name: str
    uri: str
    events: list[str]
    auth_key: str | None
    auth_value: str | None
    headers: list[dict[str, str]]
    created: str
    created_by: str
    status: str = "ACTIVE"
    verification_status: str = "UNVERIFIED"


@dataclass
class PendingEvent:
    """An event waiting for its delivery: the change, its target and when it happened."""

    event_type: str
    user_id: str
    published: str
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass(frozen=True)
class Delivery:
    """One delivery as sent: which hook, which event types, each attempt's outcome."""

    hook_id: str
    event_types: tuple[str, ...]
    target_ids: tuple[str, ...]
    attempts: tuple[str, ...]  # "200", "500", "timeout", "error: ..."
    delivered: bool


def hook_to_json(hook: EventHook, origin: str) -> dict[str, Any]:
    """The hook as Okta's API shows it (the auth value is write-only: never shown)."""
    config: dict[str, Any] = {"uri": hook.uri, "headers": list(hook.headers), "method": "POST"}
    if hook.auth_key is not None:
        config["authScheme"] = {"type": "HEADER", "key": hook.auth_key}
    base = f"{origin}/api/v1/eventHooks/{hook.id}"
    return {
        "id": hook.id,
        "status": hook.status,
        "verificationStatus": hook.verification_status,
        "name": hook.name,
        "description": None,
        "created": hook.created,
        "createdBy": hook.created_by,
        "lastUpdated": hook.created,
        "events": {"type": "EVENT_TYPE", "items": list(hook.events), "filter": None},
        "channel": {"type": "HTTP", "version": "1.0.0", "config": config},
        "_links": {
            "self": {"href": base},
            "verify": {"href": f"{base}/lifecycle/verify", "hints": {"allow": ["POST"]}},
            "deactivate": {"href": f"{base}/lifecycle/deactivate", "hints": {"allow": ["POST"]}},
        },
    }


class EventHooksMixin(UsersMixin):
    """Registered event hooks, their verification, and delivery of user events to them."""

    _hooks: dict[str, EventHook]
    _outbox: list[PendingEvent]
    _outbox_cv: threading.Condition
    _in_flight: int
    _deliverer: threading.Thread | None
    _deliveries: list[Delivery]
    event_hook_batch_seconds: float

    def _init_event_hooks(self) -> None:
        self._hooks = {}
        self._outbox = []
        self._outbox_cv = threading.Condition()
        self._in_flight = 0
        self._deliverer = None
        self._deliveries = []
        self.event_hook_batch_seconds = DEFAULT_BATCH_SECONDS
        self.add_listener(self._queue_for_hooks)

    # ------------------------------------------------------------------ management

    def create_event_hook(
        self,
        *,
        name: str,
        uri: str,
        events: list[str],
        auth_key: str | None = "Authorization",
        auth_value: str | None = None,
        headers: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        """Register a hook (``ACTIVE``, ``UNVERIFIED``: it gets nothing until verified)."""
        with self._lock:
            hook = EventHook(
                # Not the seeded rng: a hook must not shift the ids of users created after it.
                id=okta_id(EVENT_HOOK_PREFIX, random.SystemRandom()),
                name=name,
                uri=uri,
                events=list(events),
                auth_key=auth_key if auth_value is not None else None,
                auth_value=auth_value,
                headers=list(headers or []),
                created=okta_timestamp(self._stamp()),
                created_by=self._by_login.get(self.admin_login.lower(), ""),
            )
            self._hooks[hook.id] = hook
            return hook_to_json(hook, self._origin)

    def _hook(self, hook_id: str) -> EventHook:
        hook = self._hooks.get(hook_id)
        if hook is None:
            raise ApiError(404, "E0000007", f"Not found: Resource not found: {hook_id} (EventHook)")
        return hook

    def event_hooks(self) -> list[dict[str, Any]]:
        """Every registered hook, as Okta's API lists them."""
        with self._lock:
            return [hook_to_json(hook, self._origin) for hook in self._hooks.values()]

    def get_event_hook(self, hook_id: str) -> dict[str, Any]:
        """One hook (404 ``E0000007`` if unknown)."""
        with self._lock:
            return hook_to_json(self._hook(hook_id), self._origin)

    def verify_event_hook(self, hook_id: str) -> dict[str, Any]:
        """Send the one-time verification GET (3 s timeout, one retry); ``VERIFIED`` if the answer
        echoes the challenge, else ``ApiError(400)`` and the hook stays unverified."""
        with self._lock:
            hook = self._hook(hook_id)
            uri, headers = hook.uri, self._hook_headers(hook)
        challenge = secrets.token_urlsafe(32)
        outcome = ""
        for _attempt in range(2):
            try:
                response = httpx.get(
                    uri, headers={**headers, CHALLENGE_HEADER: challenge}, timeout=TIMEOUT_SECONDS
                )
            except httpx.HTTPError as error:
                outcome = f"{type(error).__name__}"
                continue
            if response.status_code == 200 and _echoes(response, challenge):
                with self._lock:
                    hook.verification_status = "VERIFIED"
                    return hook_to_json(hook, self._origin)
            outcome = f"HTTP {response.status_code}"
        raise ApiError(
            400, "E0000001", "Api validation failed: eventHook", causes=[f"Verification failed: {outcome}."]
        )

    def set_event_hook_status(self, hook_id: str, status: str) -> dict[str, Any]:
        """``ACTIVE`` or ``INACTIVE`` (Okta's lifecycle/activate and lifecycle/deactivate)."""
        if status not in ("ACTIVE", "INACTIVE"):
            raise ValueError("status must be ACTIVE or INACTIVE")
        with self._lock:
            hook = self._hook(hook_id)
            hook.status = status
            return hook_to_json(hook, self._origin)

    def delete_event_hook(self, hook_id: str) -> None:
        """Remove a hook (Okta requires it INACTIVE first; the sandbox does not)."""
        with self._lock:
            self._hook(hook_id)
            del self._hooks[hook_id]

    # ------------------------------------------------------------------ delivery

    def event_hook_deliveries(self) -> list[Delivery]:
        """The deliveries sent so far (newest last; the last 200)."""
        with self._outbox_cv:
            return list(self._deliveries)

    def flush_event_hooks(self, timeout: float = 10.0) -> bool:
        """Wait until every queued event was delivered (or given up on); False on timeout."""
        with self._outbox_cv:
            return self._outbox_cv.wait_for(lambda: not self._outbox and not self._in_flight, timeout)

    def _queue_for_hooks(self, event: str, target: dict[str, Any]) -> None:
        # A listener: runs under the sandbox lock, so it only queues (quick, no call back in).
        user_id = target.get("id")
        if not event.startswith("user.") or not isinstance(user_id, str):
            return
        if not any(self._receives(hook, event) for hook in self._hooks.values()):
            return
        pending = PendingEvent(event, user_id, okta_timestamp(self.clock.now()))
        with self._outbox_cv:
            self._outbox.append(pending)
            if self._deliverer is None or not self._deliverer.is_alive():
                self._deliverer = threading.Thread(
                    target=self._deliver_loop, name="okta-sandbox-hooks", daemon=True
                )
                self._deliverer.start()
            self._outbox_cv.notify_all()

    @staticmethod
    def _receives(hook: EventHook, event: str) -> bool:
        return hook.status == "ACTIVE" and hook.verification_status == "VERIFIED" and event in hook.events

    def _deliver_loop(self) -> None:
        while True:
            with self._outbox_cv:
                if not self._outbox_cv.wait_for(lambda: bool(self._outbox), timeout=30.0):
                    self._deliverer = None
                    return
                self._in_flight += 1
            try:
                time.sleep(self.event_hook_batch_seconds)  # gather the batch
                with self._outbox_cv:
                    batch, self._outbox = self._outbox, []
                self._deliver_batch(batch)
            finally:
                with self._outbox_cv:
                    self._in_flight -= 1
                    self._outbox_cv.notify_all()

    def _deliver_batch(self, batch: list[PendingEvent]) -> None:
        with self._lock:
            hooks = list(self._hooks.values())
            plans = []
            for hook in hooks:
                mine = [event for event in batch if self._receives(hook, event.event_type)]
                for start in range(0, len(mine), MAX_EVENTS_PER_DELIVERY):
                    chunk = mine[start : start + MAX_EVENTS_PER_DELIVERY]
                    plans.append((hook, self._hook_headers(hook), self._delivery_body(hook, chunk), chunk))
        for hook, headers, body, chunk in plans:
            self._send(hook, headers, body, chunk)

    def _send(self, hook: EventHook, headers: dict[str, str], body: bytes, chunk: list[PendingEvent]) -> None:
        attempts: list[str] = []
        for _attempt in range(2):
            try:
                response = httpx.post(hook.uri, content=body, headers=headers, timeout=TIMEOUT_SECONDS)
            except httpx.TimeoutException:
                attempts.append("timeout")
                continue
            except httpx.HTTPError as error:
                attempts.append(f"error: {type(error).__name__}")
                continue
            attempts.append(str(response.status_code))
            if response.status_code < 500:
                break
        delivered = attempts[-1].isdigit() and 200 <= int(attempts[-1]) < 300
        record = Delivery(
            hook_id=hook.id,
            event_types=tuple(event.event_type for event in chunk),
            target_ids=tuple(event.user_id for event in chunk),
            attempts=tuple(attempts),
            delivered=delivered,
        )
        with self._outbox_cv:
            self._deliveries = [*self._deliveries[-(MAX_DELIVERY_LOG - 1) :], record]

    def _hook_headers(self, hook: EventHook) -> dict[str, str]:
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        headers.update({item["key"]: item["value"] for item in hook.headers})
        if hook.auth_key is not None and hook.auth_value is not None:
            headers[hook.auth_key] = hook.auth_value
        return headers

    def _delivery_body(self, hook: EventHook, chunk: list[PendingEvent]) -> bytes:
        """The POST body (caller holds the lock): Okta's envelope around System Log events."""
        body = {
            "eventType": "com.okta.event_hook",
            "eventTypeVersion": "1.0",
            "cloudEventsVersion": "0.1",
            "source": f"{self._origin}/api/v1/eventHooks/{hook.id}",
            "eventId": str(uuid.uuid4()),
            "data": {"events": [self._log_event(event) for event in chunk]},
            "eventTime": okta_timestamp(self.clock.now()),
            "contentType": "application/json",
        }
        return json.dumps(body).encode()

    def _log_event(self, event: PendingEvent) -> dict[str, Any]:
        user = self._users.get(event.user_id)
        login = str(user.profile.get("login", "")) if user is not None else None
        name = (
            f"{user.profile.get('firstName', '')} {user.profile.get('lastName', '')}".strip()
            if user
            else None
        )
        admin = self._users.get(self._by_login.get(self.admin_login.lower(), ""))
        return {
            "uuid": event.uuid,
            "published": event.published,
            "eventType": event.event_type,
            "version": "0",
            "displayMessage": DISPLAY_MESSAGES.get(event.event_type, event.event_type),
            "severity": "INFO",
            "legacyEventType": None,
            "actor": {
                "id": admin.id if admin else None,
                "type": "User",
                "alternateId": self.admin_login,
                "displayName": "Sandbox Admin",
                "detailEntry": None,
            },
            "outcome": {"result": "SUCCESS", "reason": None},
            "target": [
                {
                    "id": event.user_id,
                    "type": "User",
                    "alternateId": login,
                    "displayName": name,
                    "detailEntry": None,
                }
            ],
        }


def _echoes(response: httpx.Response, challenge: str) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("verification") == challenge
