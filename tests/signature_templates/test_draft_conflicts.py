"""Two admins saving the same draft: a save from an editor opened on an older draft than the saved
one is refused (409) with who saved it and when, a diff of their draft against the text sent, and the
text kept in the form; saving again from that page overwrites deliberately. SQLite and PostgreSQL."""

from __future__ import annotations

import html as html_module
import re
import threading
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests import factories
from tests.conftest import AuthActions, SignetTestClient
from tests.factories import ADMIN_EMAIL
from tests.helpers import visible_text
from tests.signature_templates.conftest import DIGEST, make_template
from webapp.audit.models import AuditEvent
from webapp.extensions import db
from webapp.signature_templates import store

BOB = "bob@acme.example"
OPENED = "<p>{{ first_name }}</p>\n<p>Acme</p>"
BOBS = "<p>{{ first_name }}</p>\n<p>Acme Corp, Sales</p>"
ALICES = "<p>{{ first_name }} {{ last_name }}</p>\n<p>Acme</p>"
TEXTAREA = re.compile(r'<textarea id="template-html"[^>]*>(.*?)</textarea>', re.S)


def second_admin(app: Flask, email: str = BOB) -> FlaskClient:
    """Another admin, signed in on their own test client (their own cookies)."""
    with app.app_context(), db.session_scope() as session:
        factories.gen_admin(session, email=email)
    app.test_client_class = SignetTestClient
    other = app.test_client()
    assert (
        other.post("/login", data={"email": email, "password": factories.ADMIN_PASSWORD}).status_code == 303
    )
    return other


def open_editor(client: FlaskClient, template_id: int) -> str:
    """Open the editor as an admin does and return the draft digest its form carries."""
    page = client.get(f"/signatures/{template_id}")
    assert page.status_code == 200
    match = DIGEST.search(page.get_data(as_text=True))
    assert match, "the editor form carries the digest of the draft it was opened on"
    return match.group(1)


def save(client: FlaskClient, template_id: int, html: str, digest: str, action: str = "save") -> Any:
    """Submit the editor form as the browser would (with its hidden draft digest)."""
    return client.post(
        f"/signatures/{template_id}",
        data={"name": "Sales", "html": html, "action": action, "draft_digest": digest},
    )


def saved_draft(app: Flask, template_id: int) -> tuple[str, str]:
    """The stored draft and who saved it last."""
    with app.app_context(), db.session_scope(writer=False) as session:
        template = store.get_template(session=session, template_id=template_id)
        assert template is not None
        return template.draft_html, template.draft_updated_by


def saves_audited(app: Flask) -> int:
    with app.app_context(), db.session_scope(writer=False) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "template.saved")).all()
        return len(events)


def test_the_second_of_two_stale_saves_is_refused_with_a_diff_and_the_text_kept(
    app: Flask, client: FlaskClient, signed_in: AuthActions
) -> None:
    """Alice and Bob open the same draft; Bob saves; Alice's save is refused (409) naming Bob, with
    Bob's lines against hers, her text still in the textarea; Bob's draft is untouched. Saving again
    from that page (it carries the new base) overwrites on purpose."""
    template_id = make_template(app, html=OPENED)
    bob = second_admin(app)
    alices_base = open_editor(client, template_id)
    bobs_base = open_editor(bob, template_id)
    assert save(bob, template_id, BOBS, bobs_base).status_code == 303

    refused = save(client, template_id, ALICES, alices_base)

    assert refused.status_code == 409
    body = refused.get_data(as_text=True)
    text = visible_text(refused)
    assert "Your changes were not saved" in text
    assert f"{BOB} saved this draft" in text and "after you opened the editor" in text
    diff = body[body.index('id="draft-conflict-diff"') :]
    diff = diff[: diff.index("</table>")]
    assert "Removed" in diff and html_module.escape("<p>Acme Corp, Sales</p>") in diff  # Bob's line
    assert "Added" in diff and html_module.escape("{{ last_name }}") in diff  # Alice's line
    kept = TEXTAREA.search(body)
    assert kept and html_module.unescape(kept.group(1)) == ALICES
    assert saved_draft(app, template_id) == (BOBS, BOB)
    assert saves_audited(app) == 1
    new_base = DIGEST.search(body)
    assert new_base and new_base.group(1) != alices_base
    assert "Save my version over theirs" in text

    overwritten = save(client, template_id, ALICES, new_base.group(1))
    assert overwritten.status_code == 303
    assert saved_draft(app, template_id) == (ALICES, ADMIN_EMAIL)
    assert saves_audited(app) == 2


def test_a_stale_publish_is_refused_before_it_saves(
    app: Flask, client: FlaskClient, signed_in: AuthActions
) -> None:
    """*Publish…* from a stale editor saves first: refused the same way, nothing saved or published."""
    template_id = make_template(app, html=OPENED)
    bob = second_admin(app)
    alices_base = open_editor(client, template_id)
    assert save(bob, template_id, BOBS, open_editor(bob, template_id)).status_code == 303
    response = save(client, template_id, ALICES, alices_base, action="publish")
    assert response.status_code == 409
    assert saved_draft(app, template_id) == (BOBS, BOB)


def test_the_same_text_saved_twice_is_not_a_conflict(
    app: Flask, client: FlaskClient, signed_in: AuthActions
) -> None:
    """Both admins made the same edit: nothing would be lost, so the second save goes through."""
    template_id = make_template(app, html=OPENED)
    bob = second_admin(app)
    alices_base = open_editor(client, template_id)
    assert save(bob, template_id, BOBS, open_editor(bob, template_id)).status_code == 303
    assert save(client, template_id, BOBS, alices_base).status_code == 303
    assert saved_draft(app, template_id) == (BOBS, BOB)


def test_without_javascript_a_preview_keeps_the_base_and_the_page_offers_both_ways(
    app: Flask, client: FlaskClient, htmx_client: FlaskClient, signed_in: AuthActions
) -> None:
    """The no-JS form: the digest is a hidden input of the editor's POST form; the Preview button
    (a full page) sends it back unchanged, so a later save is still checked against the draft the
    editor was opened on; the refusal page links to their draft and htmx previews still work."""
    template_id = make_template(app, html=OPENED)
    bob = second_admin(app)
    page = client.get(f"/signatures/{template_id}").get_data(as_text=True)
    form = page[
        page.index('<form id="template-form"') : page.index("</form>", page.index('id="template-form"'))
    ]
    assert 'method="post"' in form
    match = DIGEST.search(form)
    assert match
    alices_base = match.group(1)
    assert save(bob, template_id, BOBS, open_editor(bob, template_id)).status_code == 303

    previewed = client.post(
        f"/signatures/{template_id}/preview",
        data={"name": "Sales", "html": ALICES, "draft_digest": alices_base},
    )
    assert previewed.status_code == 200
    assert f'name="draft_digest" value="{alices_base}"' in previewed.get_data(as_text=True)

    refused = save(client, template_id, ALICES, alices_base)
    assert refused.status_code == 409
    body = refused.get_data(as_text=True)
    assert f'href="/signatures/{template_id}" id="draft-conflict-take-theirs"' in body
    assert 'role="alert" id="draft-conflict-message"' in body
    fragment = htmx_client.post(
        f"/signatures/{template_id}/preview", data={"html": ALICES, "draft_digest": alices_base}
    )
    assert fragment.status_code == 200 and 'id="template-preview"' in fragment.get_data(as_text=True)
    assert saved_draft(app, template_id) == (BOBS, BOB)


def test_two_concurrent_saves_from_the_same_base_exactly_one_wins(
    app: Flask, client: FlaskClient, signed_in: AuthActions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two threads save different text from the same base at the same moment. The locked read is
    held a little (a slow moment between check and write): the other save waits for it, then sees
    the new draft and is refused. Exactly one 303 and one 409; the stored draft is the winner's."""
    template_id = make_template(app, html=OPENED)
    bob = second_admin(app)
    base = open_editor(client, template_id)
    locked_read = store.get_template_for_update

    def slow_locked_read(**kwargs: Any) -> Any:
        template = locked_read(**kwargs)
        time.sleep(0.3)  # widen the window between the check and the write
        return template

    monkeypatch.setattr(store, "get_template_for_update", slow_locked_read)
    start = threading.Barrier(2)
    results: dict[str, int] = {}

    def run(who: str, admin: FlaskClient, html: str) -> None:
        start.wait(timeout=10)
        results[who] = save(admin, template_id, html, base).status_code

    threads = [
        threading.Thread(target=run, args=("alice", client, ALICES)),
        threading.Thread(target=run, args=("bob", bob, BOBS)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results.values()) == [303, 409], results
    winner = next(who for who, status in results.items() if status == 303)
    assert saved_draft(app, template_id) == ((ALICES, ADMIN_EMAIL) if winner == "alice" else (BOBS, BOB))
    assert saves_audited(app) == 1
