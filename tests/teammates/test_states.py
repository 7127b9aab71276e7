"""A teammate's three states from Okta's eight statuses, over HTTP against the sandbox: STAGED users
are *not yet active* (shown and filtered as such, no signature, with their own reason) unless the
Assignments page's setting gives them signatures; activation in Okta re-renders through the sync."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from sqlmodel import col, select

from tests.helpers import visible_text
from tests.signatures.conftest import gen_template, signature
from tests.sync.conftest import Connected
from tests.sync.helpers import ok, okta_users, teammate_of
from webapp.audit.models import AuditEvent
from webapp.extensions import db
from webapp.rules.models import DEFAULT_ROW_ID, AssignmentDefault, SourceAssignmentSetting
from webapp.rules.signals import rules_changed
from webapp.sources.okta.directory import OKTA_STATES, okta_state, profile_from_user
from webapp.sync.models import SyncKind
from webapp.teammates.models import TeammateState

HTML = "<p>{{ display_name }}</p>"
ALL_STATUSES = (
    "STAGED",
    "PROVISIONED",
    "ACTIVE",
    "RECOVERY",
    "PASSWORD_EXPIRED",
    "LOCKED_OUT",
    "SUSPENDED",
    "DEPROVISIONED",
)


def new_user(org: Any, name: str, status: str) -> str:
    """A sandbox user of `status` created now (the seed's own users may change); returns its id."""
    first, last = name.split(" ")
    login = f"{first.lower()}.{last.lower()}@acme.example"
    user = org.create_user(
        profile={"login": login, "email": login, "firstName": first, "lastName": last}, status=status
    )
    return str(user["id"])


def with_default_template(connected: Connected) -> int:
    """A published template as the default, everyone rendered (as after a sync and a first publish)."""
    with connected.app.app_context(), db.session_scope() as session:
        template = gen_template(session, "Standard", HTML)
        session.add(AssignmentDefault(id=DEFAULT_ROW_ID, template_id=template))
    rules_changed.send(connected.app, teammate_ids=None)
    return template


def table_names(response: Any) -> list[str]:
    """The teammate names the Teammates table lists."""
    return re.findall(r'<a href="/teammates/\d+">([^<]+)</a>', response.get_data(as_text=True))


def test_okta_maps_its_eight_statuses_onto_three_states() -> None:
    """STAGED is not yet active; the five of people at work are active; the two of leavers inactive."""
    assert {status: okta_state(status) for status in ALL_STATUSES} == {
        "STAGED": TeammateState.NOT_YET_ACTIVE,
        "PROVISIONED": TeammateState.ACTIVE,
        "ACTIVE": TeammateState.ACTIVE,
        "RECOVERY": TeammateState.ACTIVE,
        "PASSWORD_EXPIRED": TeammateState.ACTIVE,
        "LOCKED_OUT": TeammateState.ACTIVE,
        "SUSPENDED": TeammateState.INACTIVE,
        "DEPROVISIONED": TeammateState.INACTIVE,
    }
    assert set(OKTA_STATES) == set(ALL_STATUSES)
    assert okta_state("SOMETHING_NEW") is TeammateState.ACTIVE  # never costs anyone a signature


def test_each_okta_status_syncs_to_its_state(connected: Connected, client: FlaskClient) -> None:
    """One user per Okta status, created in the sandbox, synced over HTTP: each teammate has its state,
    and the Teammates page's status filter finds the not-yet-active one."""
    ids = {
        status: new_user(connected.org, f"State {status.title().replace('_', '')}", status)
        for status in ALL_STATUSES
    }
    ok(connected.app, SyncKind.FULL)
    for status, external_id in ids.items():
        teammate, record = teammate_of(connected.app, external_id)
        assert (record.status, record.state, teammate.state) == (
            status,
            okta_state(status),
            okta_state(status),
        )
        assert teammate.active == (okta_state(status) is not TeammateState.INACTIVE)
    for user in okta_users(connected.org):  # the realistic seed's own users too (STAGED among them)
        teammate, _ = teammate_of(connected.app, user["id"])
        assert teammate.state == okta_state(user["status"]), user["status"]
    listed = table_names(client.get("/teammates/?status=not_yet_active&q=state"))
    assert listed == ["State Staged"]
    active = table_names(client.get("/teammates/?status=active&q=state"))
    assert sorted(active) == sorted(
        f"State {s.title().replace('_', '')}" for s in ALL_STATUSES if okta_state(s) is TeammateState.ACTIVE
    )
    inactive = table_names(client.get("/teammates/?status=inactive&q=state"))
    assert sorted(inactive) == ["State Deprovisioned", "State Suspended"]
    page = client.get("/teammates/?q=state+staged")
    assert "Not yet active" in visible_text(page)
    options = visible_text(client.get("/teammates/"))
    assert "Not yet active" in options and "Active" in options and "Inactive" in options


def test_a_staged_user_gets_no_signature_until_okta_activates_them(
    connected: Connected, client: FlaskClient
) -> None:
    """A STAGED user: not yet active on the teammate page, no signature, the reason in words; once
    activated in Okta, the next incremental sync makes them active and renders their signature."""
    app, org = connected.app, connected.org
    staged = new_user(org, "Future Hire", "STAGED")
    ok(app, SyncKind.FULL)
    with_default_template(connected)
    teammate, _ = teammate_of(app, staged)
    assert teammate.id is not None and teammate.state == TeammateState.NOT_YET_ACTIVE
    assert signature(app, teammate.id) is None
    page = visible_text(client.get(f"/teammates/{teammate.id}"))
    assert "Not yet active" in page
    assert "created in Okta but not activated yet (Okta status STAGED)" in page
    assert "Not yet active in Okta (STAGED): no signature" in page

    org.set_status(staged, "ACTIVE")
    ok(app)  # incremental: the status change reaches the teammate and its signature
    teammate, _ = teammate_of(app, staged)
    assert teammate.state == TeammateState.ACTIVE
    current = signature(app, teammate.id)
    assert current is not None and "Future Hire" in current.text
    assert "Not yet active" not in visible_text(client.get(f"/teammates/{teammate.id}"))


def test_a_deactivated_teammate_becomes_inactive(connected: Connected) -> None:
    """A user deactivated in Okta: the end of the sync makes the teammate inactive, state included."""
    app, org = connected.app, connected.org
    leaver = new_user(org, "Soon Gone", "ACTIVE")
    ok(app, SyncKind.FULL)
    org.deactivate_user(leaver)
    ok(app)
    teammate, record = teammate_of(app, leaver)
    assert (teammate.active, teammate.state, record.state) == (
        False,
        TeammateState.INACTIVE,
        TeammateState.INACTIVE,
    )


def setting_form(client: FlaskClient, **data: str) -> Any:
    """POST the Assignments page's "not yet active" form."""
    return client.post("/signatures/assignments/not-yet-active", data={"source": "okta", **data})


def test_the_setting_gives_staged_users_signatures_after_a_preview(
    connected: Connected, client: FlaskClient
) -> None:
    """The Assignments page's labelled checkbox: preview names the teammate, Confirm saves, audits and
    re-renders; turning it off removes the signature again. Without the CSRF token nothing changes."""
    app, org = connected.app, connected.org
    staged = new_user(org, "Early Bird", "STAGED")
    ok(app, SyncKind.FULL)
    with_default_template(connected)
    teammate, _ = teammate_of(app, staged)
    assert teammate.id is not None and signature(app, teammate.id) is None

    index = client.get("/signatures/assignments/")
    html = index.get_data(as_text=True)
    assert '<label for="sign-not-yet-active">' in html and 'id="sign-not-yet-active-hint"' in html
    assert "Give signatures to teammates not yet active in Okta (STAGED)" in visible_text(index)

    refused = client.post(
        "/signatures/assignments/not-yet-active",
        data={"source": "okta", "sign": "on", "action": "save"},
        csrf=False,
    )
    assert refused.status_code == 400
    preview = setting_form(client, sign="on", action="preview")
    assert preview.status_code == 200 and "Early Bird" in visible_text(preview)
    assert signature(app, teammate.id) is None  # a preview changes nothing

    saved = setting_form(client, sign="on", action="save")
    assert saved.status_code in (302, 303)
    current = signature(app, teammate.id)
    assert current is not None and "Early Bird" in current.text
    with app.app_context(), db.session_scope(writer=False) as session:
        row = session.get(SourceAssignmentSetting, "okta")
        assert row is not None and row.sign_not_yet_active
        actions = session.exec(select(AuditEvent.action).order_by(col(AuditEvent.id))).all()
    assert "rules.not_yet_active_changed" in actions
    assert "they get signatures" in visible_text(client.get("/signatures/assignments/"))

    setting_form(client, action="save")  # the checkbox unticked: nothing sent for it
    assert signature(app, teammate.id) is None
    assert "Not yet active in Okta (STAGED): no signature" in visible_text(
        client.get(f"/teammates/{teammate.id}")
    )


def test_an_unknown_source_is_refused(connected: Connected, client: FlaskClient) -> None:
    """A forged source gets a clear 422, and nothing is stored."""
    response = client.post(
        "/signatures/assignments/not-yet-active", data={"source": "rippling", "sign": "on", "action": "save"}
    )
    assert response.status_code == 422
    assert "no such source" in visible_text(response)
    with connected.app.app_context(), db.session_scope(writer=False) as session:
        assert session.get(SourceAssignmentSetting, "rippling") is None


@pytest.mark.parametrize("sign", ["on", ""])
def test_an_unchanged_setting_says_so(connected: Connected, client: FlaskClient, sign: str) -> None:
    """Submitting the setting as it is saves nothing and says so."""
    if sign:
        setting_form(client, sign="on", action="save")
    response = setting_form(client, sign=sign, action="preview")
    assert response.status_code in (302, 303)
    assert "Nothing changed" in visible_text(client.get("/signatures/assignments/"))


def test_transitioning_to_status_is_stored_and_shown(connected: Connected, client: FlaskClient) -> None:
    """A user Okta is moving to another status (the realistic seed has some, as real orgs do):
    Signet keeps `transitioningToStatus` on the record and the teammate page says it; once the
    status change completes, the next sync clears it."""
    app, org = connected.app, connected.org
    moving = [user for user in okta_users(org) if user.get("transitioningToStatus")]
    assert moving, "the realistic seed has users in transition (okta_sandbox/README.md)"
    ok(app, SyncKind.FULL)
    user = moving[0]
    teammate, record = teammate_of(app, user["id"])
    assert record.transitioning_to_status == user["transitioningToStatus"]
    page = client.get(f"/teammates/{teammate.id}")
    assert f"Okta is moving this user to {user['transitioningToStatus']}" in visible_text(page)
    assert "becoming" in visible_text(client.get("/teammates/?q=" + quote(teammate.display_name)))
    org.set_status(user["id"], user["transitioningToStatus"])  # the change completes
    ok(app)
    teammate, record = teammate_of(app, user["id"])
    assert record.transitioning_to_status is None
    assert "Okta is moving this user" not in visible_text(client.get(f"/teammates/{teammate.id}"))


def test_an_unknown_transitioning_value_is_not_kept() -> None:
    """`transitioningToStatus` is untrusted: only Okta's three documented values are kept."""
    user = {"id": "00u00000000000000001", "status": "STAGED", "profile": {}}
    assert profile_from_user({**user, "transitioningToStatus": "ACTIVE"}).transitioning_to_status == "ACTIVE"
    for odd in ("<b>", 3, ["ACTIVE"], "SUSPENDED", None):
        assert profile_from_user({**user, "transitioningToStatus": odd}).transitioning_to_status is None
