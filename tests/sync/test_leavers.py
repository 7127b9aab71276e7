"""Leavers lose their signature within seconds with event hooks, at the next full sync without
(issue 16): real orgs deactivate and delete a user about a second apart, so an incremental sync
never sees them. Event hooks ask for targeted checks (ids validated, de-duplicated, capped per
delivery and per minute in the database), the next sync looks them up in batches
(`filter=id eq "..." or ...`), and deletions Okta confirms are applied without a hold, however many."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import col, select

from tests import factories
from tests.conftest import LiveServer, SignetTestClient
from tests.helpers import page_text
from tests.okta_flow import connect_okta, fill_wizard
from tests.sync.conftest import Connected
from tests.sync.helpers import ok, okta_users, runs, sync, teammate_of, user_id
from tests.sync.test_event_hooks import HOOK, generate_secret, okta_body, okta_client
from webapp.db import utcnow
from webapp.delivery import api_tokens
from webapp.extensions import db
from webapp.rules import store as rules
from webapp.rules.signals import rules_changed
from webapp.signature_templates import store as templates
from webapp.signature_templates.versions import announce_published, draft_digest, publish
from webapp.sources.base import DirectoryPage
from webapp.sources.okta.directory import LOOKUP_BATCH_SIZE, OktaDirectory
from webapp.sync import checks, hooks, store
from webapp.sync.hooks import hook_syncs
from webapp.sync.models import PendingUserCheck, SyncKind, SyncRunStatus, SyncTrigger
from webapp.teammates.models import ChangeKind, TeammateChange

TEMPLATE = "<p><strong>{{ display_name }}</strong> | Leavers test</p>"


@pytest.fixture(autouse=True)
def _idle() -> Iterator[None]:
    """No event-hook sync outlives its test."""
    yield
    assert hook_syncs.wait_idle(60)


def publish_default_template(app: Flask) -> str:
    """Publish a template as everyone's default (signatures render at once); returns an API token."""
    with app.app_context():
        with db.session_scope() as session:
            template = templates.create_template(
                session=session, name="Leavers", html=TEMPLATE, by=factories.ADMIN_EMAIL
            )
            assert template.id is not None
            version = publish(
                session=session,
                template_id=template.id,
                reviewed_digest=draft_digest(template),
                by=factories.ADMIN_EMAIL,
            )
            rules.set_default(session=session, template_id=template.id, admin_email=factories.ADMIN_EMAIL)
            _, token = api_tokens.create_token(
                session=session, name="leavers", created_by=factories.ADMIN_EMAIL
            )
        announce_published(app, version)
        rules_changed.send(app, teammate_ids=None)
    return token


def leavers(org: Any, share: float) -> list[str]:
    """Active users making up at least `share` of all the teammates (more than the hold threshold)."""
    count = int(len(okta_users(org)) * share) + 1
    return [user_id(org, index) for index in range(count)]


def signature_status(client: Any, teammate_id: int, token: str) -> int:
    """The export API's status for the teammate's signature (200: it has one; 404: none)."""
    response = client.get(f"/api/v1/signatures/{teammate_id}", headers={"Authorization": f"Bearer {token}"})
    return int(response.status_code)


def exported_ids(client: Any, token: str) -> set[int]:
    """The teammate ids the export API lists."""
    response = client.get("/api/v1/signatures?per_page=100", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body = response.get_json() if hasattr(response, "get_json") else response.json()
    return {int(item["teammate_id"]) for item in body["items"]}


def is_lookup(record: Any) -> bool:
    """Whether a sandbox request was a lookup of users by id."""
    return bool(record.path == "/api/v1/users" and 'id eq "' in record.query.get("filter", ""))


def pending(app: Flask) -> list[str]:
    """The pending user checks, by id."""
    with app.app_context(), db.session_scope(writer=False) as session:
        return sorted(session.exec(select(PendingUserCheck.external_id)).all())


def assert_gone_without_hold(
    app: Flask, client: Any, token: str, deleted: list[str], *, removed: bool | None = True
) -> None:
    """Each deleted user's teammate is inactive with a REMOVED change (or DEACTIVATED when a check
    saw it between deactivation and deletion: not `removed`; None: either), has no signature
    (export API 404 and not listed), its record is marked removed, and no hold was made."""
    listed = exported_ids(client, token)
    for external_id in deleted:
        teammate, record = teammate_of(app, external_id)
        assert teammate.id is not None and not teammate.active and record.removed_at is not None
        assert signature_status(client, teammate.id, token) == 404 and teammate.id not in listed
        with app.app_context(), db.session_scope(writer=False) as session:
            kinds = session.exec(
                select(TeammateChange.kind).where(col(TeammateChange.teammate_id) == teammate.id)
            ).all()
        if removed is not None:
            assert (ChangeKind.REMOVED if removed else ChangeKind.DEACTIVATED) in kinds
        assert kinds.count(ChangeKind.REMOVED) + kinds.count(ChangeKind.DEACTIVATED) == 1
    with app.app_context(), db.session_scope(writer=False) as session:
        assert store.pending_holds(session=session) == []
    assert all(run.status != SyncRunStatus.HELD for run in runs(app))


# ----------------------------------------------------------------------------- with event hooks


@pytest.mark.parametrize("gap", [0.0, 1.5], ids=["deleted at once", "deleted 1.5 s later"])
def test_deactivate_and_delete_with_the_event_hook_removes_signatures_at_once(
    live_server: LiveServer, sandbox: Any, gap: float
) -> None:
    """Over real HTTP: Okta (the sandbox) deactivates then deletes more than 20% of the teammates
    `gap` seconds apart; its events reach Signet's hook; the hook-triggered syncs look them up by
    id (batched requests) and make them inactive without a hold, whether a check finds them gone
    or still DEPROVISIONED: no signature on the teammate page or from the export API."""
    app, org = live_server.app, sandbox.sandbox
    org.event_hook_batch_seconds = 0.2
    app.config["EVENT_HOOK_DEBOUNCE_SECONDS"] = 0.2
    org.update_app(org.default_app.client_id, redirect_uris=[live_server.url + "/callbacks/okta"])
    with app.app_context(), db.session_scope() as session:
        factories.gen_admin(session)
    app.test_client_class = SignetTestClient
    client = app.test_client()
    login = {"email": factories.ADMIN_EMAIL, "password": factories.ADMIN_PASSWORD}
    assert client.post("/login", data=login).status_code == 303
    fill_wizard(client, domain=sandbox.origin, client_id=org.default_app.client_id)
    assert connect_okta(client).status_code == 200
    ok(app, SyncKind.FULL)
    token = publish_default_template(app)
    secret = generate_secret(client)
    created = org.create_event_hook(
        name="Signet", uri=live_server.url + HOOK, events=list(hooks.SYNC_EVENT_TYPES), auth_value=secret
    )
    assert org.verify_event_hook(created["id"])["verificationStatus"] == "VERIFIED"
    deleted = leavers(org, 0.2)
    for external_id in deleted:
        teammate = teammate_of(app, external_id)[0]
        assert teammate.id is not None and signature_status(client, teammate.id, token) == 200
    before = len(runs(app))
    org.clear_request_log()
    org.deactivate_and_delete_users(deleted, gap_seconds=gap)
    assert org.flush_event_hooks(30)  # every event delivered, and accepted
    assert hook_syncs.wait_idle(60)  # ...and the syncs they started are over
    new = runs(app)[before:]
    assert new and all(run.trigger == SyncTrigger.EVENT_HOOK and run.error is None for run in new)
    assert sum(run.removed + run.deactivated for run in new) == len(deleted)
    assert sum(run.held for run in new) == 0
    assert_gone_without_hold(app, client, token, deleted, removed=True if gap == 0 else None)
    teammate = teammate_of(app, deleted[0])[0]
    assert "No signature" in page_text(client.get(f"/teammates/{teammate.id}"))
    lookups = [r for r in org.request_log() if is_lookup(r)]
    assert 1 <= len(lookups) <= len(new) * ((len(deleted) - 1) // LOOKUP_BATCH_SIZE + 1)
    assert pending(app) == []
    kinds = {kind for delivery in org.event_hook_deliveries() for kind in delivery.event_types}
    assert {"user.lifecycle.deactivate", "user.lifecycle.delete.completed"} <= kinds


def test_a_deactivated_user_found_by_the_check_becomes_inactive(
    connected: Connected, client: FlaskClient
) -> None:
    """A user the check finds DEPROVISIONED goes through the normal writer: inactive after the
    hook-triggered sync; the check row is cleared once the result is committed."""
    app, org = connected.app, connected.org
    app.config["EVENT_HOOK_DEBOUNCE_SECONDS"] = 0.1
    ok(app, SyncKind.FULL)
    secret = generate_secret(client)
    target = user_id(org, 3)
    org.deactivate_user(target)
    body = okta_body("user.lifecycle.deactivate", target=target)
    assert okta_client(app).post(HOOK, json=body, headers={"Authorization": secret}).status_code == 200
    assert hook_syncs.wait_idle(30)
    teammate, record = teammate_of(app, target)
    assert not teammate.active and record.status == "DEPROVISIONED" and record.removed_at is None
    assert pending(app) == []


# ----------------------------------------------------------------------------- the hint is untrusted


def test_ids_are_validated_deduplicated_and_capped(app: Flask, client: FlaskClient, signed_in: Any) -> None:
    """Only Okta-shaped ids of `User` targets of user events are kept, once each, at most 100 a
    delivery and 200 a minute across deliveries (counted in the database); the rest still syncs.
    (Okta is not connected here: the syncs the deliveries start skip, so the checks stay pending.)"""
    app.config["EVENT_HOOK_DEBOUNCE_SECONDS"] = 0.05
    with app.app_context(), db.session_scope() as session:
        store.ensure_state(session=session, source="okta")  # as after a first sync
    secret = generate_secret(client)

    def ids(prefix: str, count: int) -> list[str]:
        return [f"00u{prefix}{number:016d}" for number in range(count)]

    def deliver(targets: list[dict[str, Any]], kind: str = "user.lifecycle.delete.completed") -> None:
        events = [{"uuid": str(uuid.uuid4()), "eventType": kind, "target": targets}]
        body = json.dumps({"eventType": "com.okta.event_hook", "data": {"events": events}})
        response = okta_client(app).post(
            HOOK, data=body, headers={"Authorization": secret}, content_type="application/json"
        )
        assert response.status_code == 200

    good = ids("a", 3)
    odd = [
        {"id": "00u' or id gt \"0", "type": "User"},
        {"id": "00uSHORT", "type": "User"},
        {"id": ["00u0000000000000000x"], "type": "User"},
        {"id": "00gabcdefghijklmnopq", "type": "User"},
        {"id": "00ubbbbbbbbbbbbbbbbb", "type": "UserGroup"},
        "00ucccccccccccccccccc",
    ]
    deliver(
        [
            {"id": good[0], "type": "User"},
            *odd,
            {"id": good[0], "type": "User"},
            {"id": good[1], "type": "User"},
        ]
    )
    deliver([{"id": good[2], "type": "User"}], kind="user.session.start")  # not a user change
    assert pending(app) == sorted(good[:2])
    deliver([{"id": external_id, "type": "User"} for external_id in ids("d", 150)])
    assert len(pending(app)) == 2 + checks.MAX_CHECKS_PER_DELIVERY
    deliver([{"id": external_id, "type": "User"} for external_id in ids("e", 150)])
    assert len(pending(app)) == checks.MAX_CHECKS_PER_MINUTE  # 2 + 100 + 98
    deliver([{"id": external_id, "type": "User"} for external_id in ids("f", 10)])
    assert len(pending(app)) == checks.MAX_CHECKS_PER_MINUTE
    assert hooks.target_user_ids([{"eventType": ["x"], "target": []}, 3, None]) == ()
    assert hook_syncs.wait_idle(30) and len(pending(app)) == checks.MAX_CHECKS_PER_MINUTE


def test_pending_checks_are_drained_in_batches_within_a_cap(connected: Connected) -> None:
    """Pending ids are looked up 40 at a time with `filter=id eq ... or ...` (one request each),
    at most 5 lookups a run; ids Okta does not know are cleared without touching anyone."""
    app, org = connected.app, connected.org
    ok(app, SyncKind.FULL)
    unknown = [f"00uz{number:016d}" for number in range(230)]
    with app.app_context(), db.session_scope() as session:
        store.add_pending_checks(session=session, external_ids=unknown, at=utcnow())
    org.clear_request_log()
    run = ok(app)
    lookups = [r for r in org.request_log() if is_lookup(r)]
    assert len(lookups) == checks.MAX_CHECK_BATCHES_PER_RUN
    assert (run.removed, run.deactivated, run.held) == (0, 0, 0)
    assert len(pending(app)) == 230 - checks.MAX_CHECK_BATCHES_PER_RUN * LOOKUP_BATCH_SIZE
    ok(app)
    assert pending(app) == []


# ----------------------------------------------------------------------------- without event hooks


def test_without_event_hooks_the_next_full_sync_removes_them_without_a_hold(
    connected: Connected, client: FlaskClient
) -> None:
    """No event hook: an incremental sync cannot see users deleted a second after deactivation;
    the next full sync lists everyone, looks the missing ones up by id, and removes those Okta
    confirms gone at once, more than 20% of the teammates and no hold."""
    app, org = connected.app, connected.org
    ok(app, SyncKind.FULL)
    token = publish_default_template(app)
    deleted = leavers(org, 0.2)
    org.deactivate_and_delete_users(deleted, gap_seconds=0.0)
    incremental = ok(app)
    assert (incremental.removed, incremental.deactivated) == (0, 0)
    assert all(teammate_of(app, external_id)[0].active for external_id in deleted)
    full = ok(app, SyncKind.FULL)
    assert (full.status, full.removed, full.held) == (SyncRunStatus.SUCCEEDED, len(deleted), 0)
    assert_gone_without_hold(app, client, token, deleted)


@pytest.mark.parametrize("share", [0.5])
def test_confirmation_is_skipped_for_a_listing_missing_too_many(
    connected: Connected, share: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When more users are missing than Signet would confirm one by one, nothing is looked up and
    the hold protects the teammates (a broken listing looks like this)."""
    app, org = connected.app, connected.org
    ok(app, SyncKind.FULL)
    monkeypatch.setattr(checks, "MAX_CONFIRMED_ABSENCES", 3)
    org.deactivate_and_delete_users(leavers(org, share), gap_seconds=0.0)
    org.clear_request_log()
    run = ok(app, SyncKind.FULL)
    assert run.status == SyncRunStatus.HELD and run.removed == 0
    assert not [r for r in org.request_log() if is_lookup(r)]


def test_users_a_broken_listing_skips_are_found_by_the_lookup_and_kept(
    connected: Connected, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full listing that skips users who still exist (a broken listing) removes nobody: the
    lookup by id finds them, they are written and stay active, and no hold is needed."""
    app, org = connected.app, connected.org
    ok(app, SyncKind.FULL)
    skipped = set(leavers(org, 0.3))
    listing = OktaDirectory.iter_pages

    def broken(self: OktaDirectory, **kwargs: Any) -> Iterator[DirectoryPage]:
        for page in listing(self, **kwargs):
            kept = [profile for profile in page.profiles if profile.external_id not in skipped]
            yield DirectoryPage(kept, page.max_updated_at, page.requests, page.is_last)

    monkeypatch.setattr(OktaDirectory, "iter_pages", broken)
    org.update_user(sorted(skipped)[0], profile={"title": "Changed while skipped"})
    org.clear_request_log()
    run = ok(app, SyncKind.FULL)
    assert (run.status, run.removed, run.deactivated, run.held) == (SyncRunStatus.SUCCEEDED, 0, 0, 0)
    assert len([r for r in org.request_log() if is_lookup(r)]) == 1
    for external_id in skipped:
        teammate, record = teammate_of(app, external_id)
        assert teammate.active and record.removed_at is None and record.last_seen_run_id == run.id
    assert teammate_of(app, sorted(skipped)[0])[1].profile["title"] == "Changed while skipped"


def test_checks_stay_pending_when_the_lookup_fails(connected: Connected) -> None:
    """Okta failing the lookup fails the run and keeps the checks; the next run does them."""
    app, org = connected.app, connected.org
    ok(app, SyncKind.FULL)
    target = user_id(org, 2)
    org.deactivate_and_delete_users([target], gap_seconds=0.0)
    with app.app_context(), db.session_scope() as session:
        store.add_pending_checks(session=session, external_ids=[target], at=utcnow())
    org.inject_fault("http_error", count=1000, path_prefix="/api/v1/users", status=500)
    failed = sync(app)
    org.clear_faults()
    assert failed.status == SyncRunStatus.FAILED and pending(app) == [target]
    assert teammate_of(app, target)[0].active
    assert ok(app).removed == 1 and pending(app) == []
    assert not teammate_of(app, target)[0].active
