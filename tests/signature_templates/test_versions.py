"""Draft and publish: numbered versions with who and when, the publish review and its impact, the
signal after commit, comparing versions and restoring one into the draft."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests.conftest import AuthActions
from tests.factories import ADMIN_EMAIL
from tests.helpers import page_text, visible_text
from tests.signature_templates.conftest import DIGEST, make_template, publish, save
from webapp.audit.models import AuditEvent
from webapp.extensions import db
from webapp.signature_templates import impact, store
from webapp.signature_templates.impact import PublishImpact
from webapp.signature_templates.signals import template_published
from webapp.signature_templates.versions import LineChange, diff_lines


def _versions(app: Flask, template_id: int) -> list[tuple[int, str, str]]:
    with app.app_context(), db.session_scope(writer=False) as session:
        return [
            (version.number, version.html, version.published_by)
            for version in store.list_versions(session=session, template_id=template_id)
        ]


def _actions(app: Flask) -> list[str]:
    with app.app_context(), db.session_scope(writer=False) as session:
        return [event.action for event in session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()]


def test_saving_the_draft_leaves_the_published_version_alone(
    app: Flask, client: FlaskClient, signed_in: AuthActions
) -> None:
    """After publishing, saving a new draft changes the draft only: teammates keep version 1."""
    template_id = make_template(app, html="<p>{{ first_name }}</p>")
    assert publish(client, template_id).status_code == 303
    assert save(client, template_id, "<p>{{ last_name }}</p>").status_code == 303
    with app.app_context(), db.session_scope(writer=False) as session:
        published = store.published_versions(session=session)
        template = store.get_template(session=session, template_id=template_id)
        assert template is not None and template.draft_html == "<p>{{ last_name }}</p>"
    assert published[template_id].number == 1
    assert published[template_id].html == "<p>{{ first_name }}</p>"
    page = visible_text(client.get(f"/signatures/{template_id}"))
    assert "Unpublished changes" in page and "Teammates get version 1 until you publish the draft." in page


def test_publishing_numbers_versions_and_records_who_and_when(
    app: Flask, client: FlaskClient, signed_in: AuthActions
) -> None:
    """Each publish is the next number, by the signed-in admin; the history lists them newest first."""
    template_id = make_template(app)
    publish(client, template_id)
    save(client, template_id, "<p>{{ first_name }} {{ last_name }}</p>")
    response = publish(client, template_id)
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert _versions(app, template_id) == [
        (2, "<p>{{ first_name }} {{ last_name }}</p>", ADMIN_EMAIL),
        (1, "<p>{{ first_name }}</p>", ADMIN_EMAIL),
    ]
    page = client.get(f"/signatures/{template_id}")
    history = page_text(page).split('id="template-history"', 1)[1]
    assert history.index("Version 2") < history.index("Version 1")
    assert "Published v2" in visible_text(page)
    assert "template.published" in _actions(app)


def test_publish_review_says_how_many_teammates_change(
    app: Flask, client: FlaskClient, signed_in: AuthActions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With an impact provider registered, the review names the version and how many signatures change."""
    monkeypatch.setattr(impact, "_provider", [])
    seen: list[tuple[int, str]] = []

    def fake(session: Any, template_id: int, html: str) -> PublishImpact:
        seen.append((template_id, html))
        return PublishImpact(count=3, names=["Ada Lovelace", "Grace Hopper"])

    impact.register_publish_impact(fake)
    template_id = make_template(app, html="<p>{{ job_title }}</p>")
    text = visible_text(client.get(f"/signatures/{template_id}/publish"))
    assert "Publishing version 1 changes the signature of 3 teammates." in text
    assert "Ada Lovelace" in text and "and 1 more." in text
    assert seen == [(template_id, "<p>{{ job_title }}</p>")]


def test_publish_review_without_a_provider_says_assignments_decide(
    app: Flask, client: FlaskClient, signed_in: AuthActions, no_impact_provider: None
) -> None:
    """Nothing registered to count the impact: the review says the assignment rules decide."""
    template_id = make_template(app)
    response = client.get(f"/signatures/{template_id}/publish")
    assert response.status_code == 200
    assert "Who gets this template is decided by the assignment rules" in visible_text(response)
    assert "Publish version 1" in visible_text(response)


def test_a_draft_changed_since_the_review_is_not_published(
    app: Flask, client: FlaskClient, signed_in: AuthActions
) -> None:
    """The confirmation carries the reviewed draft's fingerprint; a draft saved since is refused (409)."""
    template_id = make_template(app)
    review = client.get(f"/signatures/{template_id}/publish")
    digest = DIGEST.search(review.get_data(as_text=True))
    assert digest
    save(client, template_id, "<p>changed meanwhile</p>")
    response = client.post(f"/signatures/{template_id}/publish", data={"draft_digest": digest.group(1)})
    assert response.status_code == 409
    assert "The draft changed since you reviewed it" in visible_text(response)
    assert _versions(app, template_id) == []


@pytest.mark.parametrize(
    ("html", "status", "says"),
    [
        ("   ", 422, "The draft is empty"),
        ("<p>{{ ''.__class__ }}</p>", 422, "This draft can't be published: Line 1"),
    ],
)
def test_an_unpublishable_draft_is_refused_with_its_reason(
    app: Flask, client: FlaskClient, signed_in: AuthActions, html: str, status: int, says: str
) -> None:
    """An empty or refused draft shows why on the review page and can't be published."""
    template_id = make_template(app, html=html)
    review = client.get(f"/signatures/{template_id}/publish")
    assert says in visible_text(review)
    assert 'name="draft_digest"' not in review.get_data(as_text=True)
    with app.app_context(), db.session_scope(writer=False) as session:
        template = store.get_template(session=session, template_id=template_id)
        assert template is not None
        from webapp.signature_templates.versions import draft_digest

        digest = draft_digest(template)
    response = client.post(f"/signatures/{template_id}/publish", data={"draft_digest": digest})
    assert response.status_code == status
    assert says in visible_text(response)
    assert _versions(app, template_id) == []


def test_republishing_the_same_draft_is_refused(
    app: Flask, client: FlaskClient, signed_in: AuthActions
) -> None:
    """A draft identical to the latest version has nothing to publish (409), no version 2."""
    template_id = make_template(app)
    publish(client, template_id)
    review = client.get(f"/signatures/{template_id}/publish")
    assert "The draft is the same as version 1" in visible_text(review)
    assert [number for number, _, _ in _versions(app, template_id)] == [1]


def test_template_published_is_sent_after_the_commit(
    app: Flask, client: FlaskClient, signed_in: AuthActions
) -> None:
    """Listeners get template_id and version, and can already read the version from a new session."""
    received: list[tuple[int, int, bool]] = []

    def listener(sender: Flask, template_id: int, version: int, **_: Any) -> None:
        with db.session_scope(writer=False) as session:
            found = store.get_version(session=session, template_id=template_id, number=version)
        received.append((template_id, version, found is not None))

    template_id = make_template(app)
    with template_published.connected_to(listener, sender=app):
        publish(client, template_id)
    assert received == [(template_id, 1, True)]


def test_diff_marks_added_and_removed_lines() -> None:
    """difflib hunks: unchanged context, removed and added lines, with numbers on each side."""
    old = "a\nb\nc\nd\n"
    new = "a\nB\nc\nd\ne\n"
    [hunk] = diff_lines(old, new)
    changes = [(line.change, line.old_number, line.new_number, line.text) for line in hunk.lines]
    assert (LineChange.REMOVED, 2, None, "b") in changes
    assert (LineChange.ADDED, None, 2, "B") in changes
    assert (LineChange.ADDED, None, 5, "e") in changes
    assert (LineChange.SAME, 1, 1, "a") in changes
    assert diff_lines("same\n", "same\n") == []


def test_compare_page_shows_changes_in_words(app: Flask, client: FlaskClient, signed_in: AuthActions) -> None:
    """Comparing version 1 with version 2 lists Removed and Added lines as text, not colour alone."""
    template_id = make_template(app, html="<p>one</p>\n<p>{{ first_name }}</p>")
    publish(client, template_id)
    save(client, template_id, "<p>two</p>\n<p>{{ first_name }}</p>")
    publish(client, template_id)
    response = client.get(f"/signatures/{template_id}/compare", query_string={"from": "1", "to": "2"})
    assert response.status_code == 200
    rows = page_text(response).split('id="template-diff"', 1)[1]
    assert "<strong>Removed</strong>" in rows and "- <p>one</p>" in rows
    assert "<strong>Added</strong>" in rows and "+ <p>two</p>" in rows
    same = client.get(f"/signatures/{template_id}/compare", query_string={"from": "2", "to": "2"})
    assert "No differences" in visible_text(same)
    odd = client.get(f"/signatures/{template_id}/compare", query_string={"from": "99", "to": "x"})
    assert odd.status_code == 200  # unknown sides fall back to the defaults


def test_restoring_a_version_copies_it_into_the_draft_without_publishing(
    app: Flask, client: FlaskClient, signed_in: AuthActions
) -> None:
    """Restore puts version 1's text in the draft; version 2 stays live until the admin publishes."""
    template_id = make_template(app, html="<p>first</p>")
    publish(client, template_id)
    save(client, template_id, "<p>second</p>")
    publish(client, template_id)
    response = client.post(f"/signatures/{template_id}/versions/1/restore")
    assert response.status_code == 303
    with app.app_context(), db.session_scope(writer=False) as session:
        template = store.get_template(session=session, template_id=template_id)
        latest = store.latest_version(session=session, template_id=template_id)
    assert template is not None and template.draft_html == "<p>first</p>"
    assert latest is not None and latest.number == 2
    assert "template.restored" in _actions(app)
    assert client.post(f"/signatures/{template_id}/versions/7/restore").status_code == 404


def test_publish_review_lists_at_most_fifty_names(
    app: Flask, client: FlaskClient, signed_in: AuthActions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thousands of affected teammates: the count is exact, the page names the first 50 only."""
    monkeypatch.setattr(impact, "_provider", [])
    names = [f"Person {number:04d}" for number in range(1200)]
    impact.register_publish_impact(lambda session, template_id, html: PublishImpact(len(names), names))
    template_id = make_template(app)
    text = visible_text(client.get(f"/signatures/{template_id}/publish"))
    assert "changes the signature of 1200 teammates" in text
    assert "Person 0049" in text and "Person 0050" not in text and "and 1150 more." in text
