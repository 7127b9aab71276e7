"""The live preview: the text in the editor (unsaved) rendered for a chosen teammate or sample data,
as an htmx fragment or a full page, inert whatever the teammate's data, refused templates explained."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import AuthActions
from tests.helpers import page_text, visible_text
from tests.signature_templates.conftest import gen_fields, make_template
from tests.teammates.factories import gen_teammate
from webapp.extensions import db
from webapp.signature_templates import store

SRCDOC = re.compile(r'<iframe sandbox="" srcdoc="([^"]*)" title="Signature preview \((desktop|mobile)\)">')
HOSTILE = {
    "firstName": "<script>alert('first')</script>",
    "lastName": '"><img src=x onerror=alert(1)>',
    "title": '<div hx-get="/settings/" hx-trigger="load">x</div>',
    "email": "javascript:alert(1)//@acme.example",
}
TEMPLATE = (
    '<table><tr><td style="color:#111">{{ first_name }} {{ last_name }}</td></tr>'
    '<tr><td>{{ job_title }}</td></tr><tr><td><a href="mailto:{{ email }}">{{ email }}</a></td></tr></table>'
)


def _hostile_teammate(app: Flask) -> int:
    with app.app_context(), db.session_scope() as session:
        gen_fields(session)
        teammate = gen_teammate(session, name="Eve Hostile", profile=HOSTILE)
        assert teammate.id is not None
        return teammate.id


def _frames(response: object) -> list[str]:
    body = response.get_data(as_text=True)  # type: ignore[attr-defined]
    return [html.unescape(doc) for doc, _ in SRCDOC.findall(body)]


def test_fragment_renders_the_unsaved_text_for_the_chosen_teammate(
    app: Flask, htmx_client: FlaskClient, signed_in: AuthActions
) -> None:
    """htmx gets only the preview region, rendered from the posted text; the draft is not saved."""
    teammate_id = _hostile_teammate(app)
    with app.app_context(), db.session_scope() as session:
        gen_teammate(session, name="Grace Hopper", title="Rear Admiral")
    template_id = make_template(app, html="<p>saved draft</p>")
    response = htmx_client.post(
        f"/signatures/{template_id}/preview",
        data={"html": "<p>{{ display_name }}</p>", "teammate_id": teammate_id},
    )
    assert response.status_code == 200
    body = page_text(response)
    assert body.lstrip().startswith('<section id="template-preview"')
    assert "<!doctype html>" not in response.get_data(as_text=True)  # the page's own; the frames' are escaped
    assert "HX-Request" in response.headers["Vary"]
    frames = _frames(response)
    assert len(frames) == 2 and "<p>Eve Hostile</p>" in frames[0]
    with app.app_context(), db.session_scope(writer=False) as session:
        template = store.get_template(session=session, template_id=template_id)
    assert template is not None and template.draft_html == "<p>saved draft</p>"


def test_full_page_preview_without_javascript_keeps_the_typed_text(
    app: Flask, client: FlaskClient, signed_in: AuthActions
) -> None:
    """The Preview button (no JS) renders the whole editor with the typed text and the preview filled."""
    template_id = make_template(app, html="<p>saved draft</p>")
    response = client.post(
        f"/signatures/{template_id}/preview", data={"name": "Sales", "html": "<p>typed {{ first_name }}</p>"}
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith("<!doctype html>")
    assert "&lt;p&gt;typed {{ first_name }}&lt;/p&gt;</textarea>" in body
    assert "Showing your unsaved changes" in visible_text(response)
    assert "<p>typed Alex</p>" in _frames(response)[0]  # sample data when no teammate is chosen
    assert "Preview with the data of sample data" in visible_text(response)


class _Markup(HTMLParser):
    """Every element and attribute of a document, as a browser would build them."""

    def __init__(self, document: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []
        self.feed(document)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(name, value or "") for name, value in attrs]


def _assert_inert(document: str) -> None:
    markup = _Markup(document)
    assert "script" not in markup.tags
    assert not [name for name, _ in markup.attributes if name.startswith(("on", "hx-", "data-hx"))]
    assert not [
        value for name, value in markup.attributes if value.lower().lstrip().startswith("javascript:")
    ]


def test_hostile_teammate_data_never_reaches_the_page_as_markup(
    app: Flask, client: FlaskClient, htmx_client: FlaskClient, signed_in: AuthActions
) -> None:
    """Script, event handlers, htmx attributes and javascript: URLs from Okta stay text: the page and
    the frames hold no such markup, the frames are sandboxed without scripts, the region hx-disable'd."""
    teammate_id = _hostile_teammate(app)
    template_id = make_template(app, html=TEMPLATE)
    for response in (
        htmx_client.post(
            f"/signatures/{template_id}/preview", data={"html": TEMPLATE, "teammate_id": teammate_id}
        ),
        client.get(f"/signatures/{template_id}", query_string={"teammate": teammate_id}),
    ):
        assert response.status_code == 200
        raw = response.get_data(as_text=True)
        page = _Markup(raw)
        assert 'hx-get="/settings/"' not in raw and ("hx-get", "/settings/") not in page.attributes
        assert not [name for name, _ in page.attributes if name.startswith("on")]
        assert "<div hx-disable>" in raw
        assert "allow-scripts" not in raw and raw.count('<iframe sandbox=""') == 2
        frames = _frames(response)
        assert len(frames) == 2
        for frame in frames:
            _assert_inert(frame)
            assert "&lt;script&gt;alert(" in frame  # shown as text


def test_refused_template_explains_itself_with_422(
    app: Flask, client: FlaskClient, htmx_client: FlaskClient, signed_in: AuthActions
) -> None:
    """A template the renderer refuses shows its one-line reason in the preview region (422), no 500."""
    template_id = make_template(app)
    for hostile in (
        "{{ ''.__class__.__mro__ }}",
        "{{ 'A' * 10**9 }}",
        "{% for x in y %}{% endfor %}",
        "{{ unclosed",
    ):
        fragment = htmx_client.post(f"/signatures/{template_id}/preview", data={"html": hostile})
        assert fragment.status_code == 422
        assert page_text(fragment).lstrip().startswith('<section id="template-preview"')
        assert "This template can't be rendered." in visible_text(fragment)
        assert "<iframe" not in page_text(fragment)
        page = client.post(f"/signatures/{template_id}/preview", data={"html": hostile})
        assert page.status_code == 422
        assert 'id="preview-refused"' in page_text(page)


def test_warnings_and_plain_text_are_shown(
    app: Flask, htmx_client: FlaskClient, signed_in: AuthActions
) -> None:
    """Unknown placeholders and images without size are listed; the plain-text version is shown."""
    with app.app_context(), db.session_scope() as session:
        gen_fields(session)
    template_id = make_template(app)
    source = '<p>{{ first_name }} {{ shoe_size }}</p><img src="https://cdn.example/logo.png" alt="Logo">'
    response = htmx_client.post(f"/signatures/{template_id}/preview", data={"html": source})
    text = visible_text(response)
    assert "shoe_size" in text and 'data-code="unknown_placeholder"' in page_text(response)
    assert 'data-code="image_without_size"' in page_text(response)
    assert 'id="preview-text">Alex' in page_text(response)


def test_only_pages_with_a_preview_relax_the_csp_for_the_frame(
    app: Flask, client: FlaskClient, signed_in: AuthActions
) -> None:
    """The editor allows inline style attributes and https images (the srcdoc frame inherits the CSP),
    never inline script; other pages keep the strict policy."""
    template_id = make_template(app)
    csp = client.get(f"/signatures/{template_id}").headers["Content-Security-Policy"]
    assert "style-src-attr 'unsafe-inline'" in csp and "img-src 'self' data: https:" in csp
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in client.get("/signatures/").headers["Content-Security-Policy"]
    assert (
        "unsafe-inline"
        not in client.get(f"/signatures/{template_id}/publish").headers["Content-Security-Policy"]
    )
