"""Review: the dashboard's getting-started checklist follows what the admin has done, step by step,
up to delivering signatures."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import AuthActions
from tests.helpers import visible_text
from tests.rules.factories import gen_fields, gen_template
from tests.teammates.factories import gen_connection, gen_teammate
from webapp.delivery.links import issue_link
from webapp.extensions import db
from webapp.rules.models import DEFAULT_ROW_ID, AssignmentDefault
from webapp.sources.okta.service import okta_services

STEP = re.compile(r'<li( class="done")?>(?:<span aria-hidden="true">✓ </span>)?<a href="([^"]+)">([^<]+)</a>')


def steps(client: FlaskClient) -> list[tuple[str, str, bool]]:
    """The checklist's (label, link, done) in order."""
    page = client.get("/").get_data(as_text=True)
    return [(label, url, bool(done)) for done, url, label in STEP.findall(page)]


def test_the_checklist_ticks_off_each_real_step(
    app: Flask, client: FlaskClient, signed_in: AuthActions
) -> None:
    """Connected: sync, smart fields, a published template, assignments and delivery, each ticked
    once done, the first open one marked Next; all done, the list gives way to one line."""
    with app.app_context(), db.session_scope() as session:
        gen_connection(session)
    assert steps(client) == [
        ("Run the first sync", "/sync/", False),
        ("Choose which Okta attributes become smart fields", "/smart-fields/", False),
        ("Create a signature template", "/signatures/", False),
        ("Decide who gets which template", "/signatures/assignments/", False),
        ("Send teammates their signature", "/delivery/", False),
    ]
    assert "Next steps (0 of 5 done)" in visible_text(client.get("/"))
    with app.app_context(), db.session_scope() as session:
        teammate_id = gen_teammate(session).id
        gen_fields(session)
        gen_template(session, "Draft", published=False)
    assert [done for *_, done in steps(client)] == [True, True, False, False, False]
    assert steps(client)[2][0] == "Publish a signature template"
    assert "Publish a signature template Next" in visible_text(client.get("/"))
    with app.app_context(), db.session_scope() as session:
        standard = gen_template(session, "Standard")
        session.add(AssignmentDefault(id=DEFAULT_ROW_ID, template_id=standard))
    assert [done for *_, done in steps(client)] == [True, True, True, True, False]
    with app.app_context(), db.session_scope() as session:
        assert teammate_id is not None
        issue_link(session=session, box=okta_services.secret_box, teammate_id=teammate_id, created_by=None)
    text = visible_text(client.get("/"))
    assert steps(client) == [] and "All set: every step is done." in text
