"""The Signatures list, creating templates (blank or from the gallery), the editor form, archiving."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests.conftest import AuthActions
from tests.helpers import page_text, visible_text
from tests.signature_templates.conftest import gen_fields, make_template, publish, save
from webapp.audit.models import AuditEvent
from webapp.extensions import db
from webapp.signature_templates import gallery, store


def test_empty_list_says_what_to_do(client: FlaskClient, signed_in: AuthActions) -> None:
    """No template yet and Okta not connected: the empty state points to setup and to New template."""
    response = client.get("/signatures/")
    assert response.status_code == 200
    text = visible_text(response)
    assert "No signature templates yet" in text and "Connect Okta first" in text
    assert 'href="/signatures/new"' in page_text(response)


@pytest.mark.parametrize("starter", [item.key for item in gallery.STARTERS])
def test_create_from_the_gallery_opens_the_editor_with_that_layout(
    app: Flask, client: FlaskClient, signed_in: AuthActions, starter: str
) -> None:
    """Creating from a gallery layout makes it the draft and opens the editor; it is audited."""
    response = client.post("/signatures/new", data={"name": "Sales team", "starter": starter})
    assert response.status_code == 303
    editor = client.get(response.headers["Location"])
    assert editor.status_code == 200
    assert "Edit template: Sales team" in visible_text(editor)
    expected = gallery.get_starter(starter)
    assert expected is not None and expected.html in page_text(editor)
    with app.app_context(), db.session_scope(writer=False) as session:
        actions = [event.action for event in session.exec(select(AuditEvent)).all()]
    assert "template.created" in actions


def test_new_page_shows_the_gallery_in_sandboxed_frames(client: FlaskClient, signed_in: AuthActions) -> None:
    """Each layout is a labelled radio with a sandboxed preview (no allow-scripts) of sample data."""
    response = client.get("/signatures/new")
    body = page_text(response)
    for item in gallery.STARTERS:
        assert f'<label for="starter-{item.key}">{item.name}' in body
    assert body.count('<iframe sandbox=""') == len(gallery.STARTERS)
    assert "allow-scripts" not in body
    assert "style-src-attr 'unsafe-inline'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("", "Give the template a name"),
        ("x" * 101, "Use at most 100 characters"),
        ("Sales", "already exists"),
    ],
)
def test_bad_names_are_refused_with_the_form_kept(
    app: Flask, client: FlaskClient, signed_in: AuthActions, name: str, says: str
) -> None:
    """An empty, too long or taken name (any case) is a 422 with the message next to the field."""
    make_template(app, name="SALES")
    response = client.post("/signatures/new", data={"name": name, "starter": "compact"})
    assert response.status_code == 422
    assert says in visible_text(response)
    assert 'aria-invalid="true"' in page_text(response)
    assert 'value="compact" checked' in page_text(response)


def test_editor_lists_placeholders_as_text_without_javascript(
    app: Flask, client: FlaskClient, signed_in: AuthActions
) -> None:
    """The toolbar (revealed by JS) inserts known fields; the same keys are listed as text to copy."""
    with app.app_context(), db.session_scope() as session:
        gen_fields(session)
    template_id = make_template(app)
    body = page_text(client.get(f"/signatures/{template_id}"))
    assert 'role="toolbar" aria-label="Insert a smart field" hidden' in body
    assert 'data-insert="{{ job_title }}"' in body
    assert "<code>{{ mobile_phone }}</code>" in body
    assert '<label for="template-html">Template HTML' in body
    assert "data-conditional" in body and '<label for="conditional-field">' in body


def test_saving_keeps_the_text_and_the_list_shows_the_status(
    app: Flask, client: FlaskClient, signed_in: AuthActions
) -> None:
    """Draft, then Published v1, then Unpublished changes, with who edited last."""
    template_id = make_template(app, name="Support")
    assert "Draft" in visible_text(client.get("/signatures/"))
    publish(client, template_id)
    assert "Published v1" in visible_text(client.get("/signatures/"))
    save(client, template_id, "<p>{{ email }}</p>", name="Support desk")
    listing = visible_text(client.get("/signatures/"))
    assert "Support desk" in listing and "Published v1 Unpublished changes" in listing
    assert "alice@acme.example" in listing


def test_save_with_a_taken_name_keeps_what_was_typed(
    app: Flask, client: FlaskClient, signed_in: AuthActions
) -> None:
    """A refused save (422) shows the error and keeps the typed HTML; nothing is stored."""
    make_template(app, name="Taken")
    template_id = make_template(app, name="Mine", html="<p>old</p>")
    response = save(client, template_id, "<p>typed, not lost</p>", name="taken")
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "&lt;p&gt;typed, not lost&lt;/p&gt;" in response.get_data(as_text=True)  # type: ignore[attr-defined]
    with app.app_context(), db.session_scope(writer=False) as session:
        template = store.get_template(session=session, template_id=template_id)
    assert template is not None and template.draft_html == "<p>old</p>" and template.name == "Mine"


def test_save_then_publish_button_goes_to_the_review(
    app: Flask, client: FlaskClient, signed_in: AuthActions
) -> None:
    """“Publish…” saves the text in the editor, then shows the publish review."""
    template_id = make_template(app)
    response = client.post(
        f"/signatures/{template_id}",
        data={"name": "Sales", "html": "<p>{{ email }}</p>", "action": "publish"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/signatures/{template_id}/publish"


def test_archive_and_bring_back(app: Flask, client: FlaskClient, signed_in: AuthActions) -> None:
    """Archiving moves a template to the Archived list; bringing it back returns it; both are audited."""
    template_id = make_template(app, name="Old look")
    assert client.post(f"/signatures/{template_id}/archive").status_code == 303
    listing = page_text(client.get("/signatures/"))
    assert 'id="signature-templates"' not in listing and "Archived" in listing and "Old look" in listing
    assert client.post(f"/signatures/{template_id}/unarchive").status_code == 303
    assert 'id="signature-templates"' in page_text(client.get("/signatures/"))
    with app.app_context(), db.session_scope(writer=False) as session:
        actions = [event.action for event in session.exec(select(AuditEvent)).all()]
    assert {"template.archived", "template.unarchived"} <= set(actions)


def test_unknown_template_is_404(client: FlaskClient, signed_in: AuthActions) -> None:
    """Every template page answers 404 for an id that does not exist."""
    for path in ("/signatures/999", "/signatures/999/publish", "/signatures/999/compare"):
        assert client.get(path).status_code == 404
    assert client.post("/signatures/999/preview", data={"html": "x"}).status_code == 404


def test_a_name_taken_at_the_same_moment_is_a_422_not_a_500(
    app: Flask, client: FlaskClient, signed_in: AuthActions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If another admin takes the name between the check and the insert, the database's unique
    constraint answers and the admin gets the form back with the message."""
    make_template(app, name="Race")
    other = make_template(app, name="Other")
    monkeypatch.setattr(store, "name_taken", lambda **_: False)
    created = client.post("/signatures/new", data={"name": "Race", "starter": "blank"})
    assert created.status_code == 422 and "Another template already has this name" in visible_text(created)
    saved = save(client, other, "<p>kept</p>", name="Race")
    assert saved.status_code == 422  # type: ignore[attr-defined]
    assert "&lt;p&gt;kept&lt;/p&gt;" in saved.get_data(as_text=True)  # type: ignore[attr-defined]


def test_saving_keeps_previewing_the_same_teammate(
    app: Flask, client: FlaskClient, signed_in: AuthActions
) -> None:
    """After Save draft, the editor previews the teammate chosen before saving."""
    from tests.teammates.factories import gen_teammate

    with app.app_context(), db.session_scope() as session:
        teammate_id = gen_teammate(session, name="Grace Hopper").id
    template_id = make_template(app)
    response = client.post(
        f"/signatures/{template_id}",
        data={"name": "Sales", "html": "<p>{{ email }}</p>", "action": "save", "teammate_id": teammate_id},
    )
    assert response.headers["Location"] == f"/signatures/{template_id}?teammate={teammate_id}"
    editor = client.get(response.headers["Location"])
    assert f'<option value="{teammate_id}" selected>Grace Hopper</option>' in page_text(editor)
