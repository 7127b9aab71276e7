"""End to end on the Okta sandbox: a title changed in Okta reaches exactly one signature through an
incremental sync, with a history that says why; a broken template never breaks a sync."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlmodel import select

from tests.helpers import visible_text
from tests.signatures.conftest import gen_template, history, publish, renders, signature
from tests.sync.conftest import Connected
from tests.sync.helpers import ok, okta_users, teammate_of, user_id
from webapp.extensions import db
from webapp.rules.models import DEFAULT_ROW_ID, AssignmentDefault
from webapp.rules.signals import rules_changed
from webapp.signatures.causes import describe
from webapp.signatures.models import CauseKind, SignatureRenderError
from webapp.sync.models import SyncKind

HTML = "<p>{{ display_name }}</p><p>{{ job_title }}</p>"


def titled_user(org: Any) -> str:
    """An active sandbox user with a title (the admin excluded)."""
    return next(
        str(user["id"])
        for user in okta_users(org)
        if user["status"] == "ACTIVE"
        and user["profile"].get("title")
        and user["profile"]["login"] != org.admin_login
    )


@pytest.fixture
def signed(connected: Connected) -> tuple[Connected, int]:
    """Synced from the sandbox, a published "Standard" template as the default, everyone rendered."""
    ok(connected.app, SyncKind.FULL)  # also creates the default smart fields (display_name, job_title...)
    with connected.app.app_context(), db.session_scope() as session:
        standard = gen_template(session, "Standard", HTML)
        session.add(AssignmentDefault(id=DEFAULT_ROW_ID, template_id=standard))
    rules_changed.send(connected.app, teammate_ids=None)
    return connected, standard


def test_a_title_changed_in_okta_rerenders_exactly_one_signature(
    signed: tuple[Connected, int], client: FlaskClient
) -> None:
    """Change a title in the sandbox, run an incremental sync: one render, and the history says why."""
    synced, _ = signed
    app, org = synced.app, synced.org
    target = titled_user(org)
    teammate, record = teammate_of(app, target)
    assert teammate.id is not None
    old_title = record.profile.get("title")
    assert signature(app, teammate.id) is not None
    before = renders(app)
    org.update_user(target, profile={"title": "Chief Signature Officer"})
    run = ok(app)
    assert renders(app) - before == 1
    current = signature(app, teammate.id)
    assert current is not None and "Chief Signature Officer" in current.text
    latest = history(app, teammate.id)[-1]
    assert latest.cause["kind"] == CauseKind.OKTA and latest.cause["sync_run_id"] == run.id
    expected = f"Okta: title changed from “{old_title}” to “Chief Signature Officer”"
    assert expected in describe(latest.cause)
    assert expected in visible_text(client.get(f"/teammate-signatures/{teammate.id}"))


def test_a_broken_template_does_not_break_the_sync(signed: tuple[Connected, int]) -> None:
    """A published version the renderer refuses: the sync succeeds, signatures stay, the error is kept."""
    synced, standard = signed
    app, org = synced.app, synced.org
    with app.app_context(), db.session_scope() as session:
        from webapp.signature_templates.models import TemplateVersion

        session.add(TemplateVersion(template_id=standard, number=2, html="<p>{{ job_title.__class__ }}</p>"))
    target = user_id(org, 5)
    teammate, _ = teammate_of(app, target)
    assert teammate.id is not None
    kept = signature(app, teammate.id)
    org.update_user(target, profile={"title": "Changed While Broken"})
    run = ok(app)
    assert run.updated == 1
    after = signature(app, teammate.id)
    assert kept is not None and after is not None and after.content_hash == kept.content_hash
    with app.app_context(), db.session_scope(writer=False) as session:
        [error] = session.exec(select(SignatureRenderError)).all()
        assert (error.template_id, error.template_version, error.teammate_count) == (standard, 2, 1)
    publish(app, standard, HTML + "<p>fixed</p>")
    fixed = signature(app, teammate.id)
    assert fixed is not None and "Changed While Broken" in fixed.text and fixed.template_version == 3
