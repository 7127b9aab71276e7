"""Private signature links: create, copy, regenerate, revoke; the page a link opens; the CSV export."""

from __future__ import annotations

import csv
import hashlib
import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests.delivery.factories import gen_signed_teammate, set_signature
from tests.delivery.helpers import links_on, token_of
from tests.helpers import page_text, visible_text
from tests.teammates.factories import gen_teammate
from webapp.audit.models import AuditEvent
from webapp.delivery import links
from webapp.delivery.models import PrivateLink
from webapp.delivery.views import LinkPlace
from webapp.delivery.web import secret_box
from webapp.extensions import db

pytestmark = pytest.mark.usefixtures("signed_in")


def _teammate(app: Flask, **fields: object) -> int:
    with app.app_context(), db.session_scope() as session:
        teammate = gen_signed_teammate(session, **fields)  # type: ignore[arg-type]
        assert teammate.id is not None
        return teammate.id


def _issue(client: FlaskClient, teammate_id: int, place: LinkPlace = LinkPlace.TEAMMATE) -> str:
    """Create or regenerate through the plain form; return the link the teammate page then shows."""
    response = client.post(f"/delivery/links/{teammate_id}", data={"place": place.value})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/teammates/{teammate_id}#teammate-delivery"
    shown = links_on(client.get(f"/teammates/{teammate_id}"))
    assert len(shown) == 1
    return shown[0]


def test_link_lifecycle_create_copy_regenerate_revoke(client: FlaskClient, app: Flask) -> None:
    """Created link opens the page; the Delivery page shows the same link to copy; regenerating kills
    the old one; revoking answers 404 exactly like a guessed token."""
    teammate_id = _teammate(app, name="Ada Lovelace")
    panel = page_text(client.get(f"/teammates/{teammate_id}"))
    assert 'id="teammate-delivery"' in panel and "Private signature link" in panel
    assert "Create link" in panel and links_on(client.get(f"/teammates/{teammate_id}")) == []

    first = _issue(client, teammate_id)
    assert links_on(client.get("/delivery/")) == [first]  # the same link again, to copy
    assert links_on(client.get(f"/teammates/{teammate_id}")) == [first]
    opened = client.get(first)
    assert opened.status_code == 200 and "Ada Lovelace" in visible_text(opened)

    second = _issue(client, teammate_id)
    assert second != first
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200

    response = client.post(f"/delivery/links/{teammate_id}/revoke", data={"place": "teammate"})
    assert response.status_code == 303
    revoked = client.get(second)
    guessed = client.get("/s/" + links.new_token())
    assert revoked.status_code == guessed.status_code == 404
    assert revoked.get_data() == guessed.get_data()
    assert "Ada" not in visible_text(revoked)
    assert links_on(client.get(f"/teammates/{teammate_id}")) == []
    with app.app_context():
        actions = [event.action for event in db.session.exec(select(AuditEvent)).all()]
    assert [action for action in actions if action.startswith("delivery.")] == [
        "delivery.link_created",
        "delivery.link_regenerated",
        "delivery.link_revoked",
    ]


@pytest.mark.parametrize("token", ["x", "a" * 43, "a" * 101, "not a token!", "%00", "../etc"])
def test_every_dead_token_gets_the_same_404(client: FlaskClient, app: Flask, token: str) -> None:
    """Guesses of any shape get the one generic 404 page, which names nothing."""
    reference = client.get("/s/" + links.new_token())
    response = client.get("/s/" + token)
    assert response.status_code == 404
    if "/" not in token:
        assert response.get_data() == reference.get_data()
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "doesn't open anything" in page_text(reference)


def test_token_is_stored_encrypted_and_as_a_digest(client: FlaskClient, app: Flask) -> None:
    """The database holds the token's SHA-256 and its ciphertext, never the token itself."""
    teammate_id = _teammate(app)
    token = token_of(_issue(client, teammate_id))
    assert len(token) >= 43  # 256 bits in base64url
    with app.app_context():
        row = db.session.exec(select(PrivateLink)).one()
        assert row.token_digest == hashlib.sha256(token.encode()).hexdigest()
        assert token not in row.token_ciphertext
        assert secret_box().decrypt(row.token_ciphertext) == token


def test_private_page_follows_the_current_signature(client: FlaskClient, app: Flask) -> None:
    """The page shows the teammate's current signature, and the new one as soon as it changes."""
    teammate_id = _teammate(app, name="Grace Hopper", title="Rear Admiral")
    link = _issue(client, teammate_id)
    body = page_text(client.get(link))
    assert "<strong>Grace Hopper</strong><br>Rear Admiral" in body  # the selectable region
    assert 'srcdoc="&lt;table' in client.get(link).get_data(as_text=True)  # the sandboxed preview
    with app.app_context(), db.session_scope() as session:
        set_signature(
            session, teammate_id, html="<p>Grace Hopper, Commodore</p>", text="Grace Hopper\nCommodore"
        )
    body = page_text(client.get(link))
    assert "<p>Grace Hopper, Commodore</p>" in body and "Rear Admiral" not in body
    assert "Grace Hopper\nCommodore" in body  # the plain-text version


def test_private_page_works_without_javascript_and_explains_installing(
    client: FlaskClient, app: Flask
) -> None:
    """The button is hidden until the script shows it; the page says how to select and copy by hand,
    keeps the signature selectable outside the frame, and has steps for every mail app."""
    link = _issue(client, _teammate(app))
    response = client.get(link)
    body = page_text(response)
    assert '<button type="button" class="primary" id="copy-signature" hidden>Copy signature</button>' in body
    assert "select the whole signature in the box below" in body
    assert '<div id="signature-copy" class="signature-copy" hx-disable>' in body
    assert '<iframe class="signature-preview" sandbox=""' in body
    assert 'aria-labelledby="preview-heading" hx-disable>' in body  # the frame sits in an hx-disable section
    text = visible_text(response)
    for heading in (
        "Gmail",
        "new Outlook for Windows and Outlook on the web",
        "Outlook classic",
        "Apple Mail",
    ):
        assert heading in text
    for step in (
        "See all settings",
        "Accounts › Signatures",
        "File › Options › Mail › Signatures",
        "Always match my default message font",
    ):
        assert step in text
    assert "<script>" not in body and "/static/js/delivery.js" in body


def test_private_page_headers_keep_the_link_out_of_caches_referers_and_indexes(
    client: FlaskClient, app: Flask
) -> None:
    """no-store, no-referrer, noindex, a CSP without inline script, and no cookie set."""
    link = _issue(client, _teammate(app))
    anonymous = app.test_client()
    for response in (anonymous.get(link), anonymous.get("/s/" + links.new_token())):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp.split("style-src-attr")[0]
        assert "Set-Cookie" not in response.headers


def test_teammate_without_signature_gets_a_clear_message(client: FlaskClient, app: Flask) -> None:
    """A link for a teammate who has no signature yet says so (and keeps working for later)."""
    with app.app_context(), db.session_scope() as session:
        teammate_id = gen_teammate(session, name="Alan Turing").id
    assert teammate_id is not None
    response = client.get(_issue(client, teammate_id))
    assert response.status_code == 200
    assert "You don't have a signature yet" in page_text(response)
    assert "copy-signature" not in page_text(response)


def test_inactive_teammates_link_answers_404(client: FlaskClient, app: Flask) -> None:
    """While a teammate is inactive, their link is as dead as a guess."""
    teammate_id = _teammate(app)
    link = _issue(client, teammate_id)
    with app.app_context(), db.session_scope() as session:
        from webapp.teammates.models import Teammate

        teammate = session.get(Teammate, teammate_id)
        assert teammate is not None
        teammate.active = False
    assert client.get(link).status_code == 404


def test_panel_buttons_answer_htmx_with_the_panel(
    htmx_client: FlaskClient, client: FlaskClient, app: Flask
) -> None:
    """htmx create/regenerate/revoke on the teammate page return just the panel, with a notice."""
    teammate_id = _teammate(app, name="Ada Lovelace")
    created = htmx_client.post(f"/delivery/links/{teammate_id}", data={"place": "teammate"})
    body = page_text(created)
    assert created.status_code == 200
    assert body.lstrip().startswith('<section class="card" id="teammate-delivery"')
    assert "Private link created for Ada Lovelace." in body and len(links_on(created)) == 1
    assert '<label for="link-teammate-' in body  # a visible label on the teammate page
    revoked = htmx_client.post(f"/delivery/links/{teammate_id}/revoke", data={"place": "teammate"})
    assert "The private link of Ada Lovelace is turned off." in page_text(revoked)
    assert links_on(revoked) == []


def test_delivery_page_and_its_table_fragment(
    htmx_client: FlaskClient, client: FlaskClient, app: Flask
) -> None:
    """The page shows channels, counts and the table; htmx gets the table only, and rows a row."""
    ids = [_teammate(app, name=name) for name in ("Ada Lovelace", "Grace Hopper")]
    full = client.get("/delivery/")
    text = visible_text(full)
    assert full.status_code == 200 and "<h1>Delivery</h1>" in page_text(full)
    assert "Private copy page" in text and "Export API" in text
    assert "0 of 2 active teammates have a private link" in text
    fragment = htmx_client.get("/delivery/?q=grace")
    assert page_text(fragment).lstrip().startswith('<section class="card" id="delivery-links"')
    assert "<!doctype html>" not in page_text(fragment)
    assert "Grace Hopper" in page_text(fragment) and "Ada Lovelace" not in page_text(fragment)
    row = htmx_client.post(f"/delivery/links/{ids[0]}", data={"place": "delivery"})
    assert page_text(row).lstrip().startswith(f'<tr id="link-row-{ids[0]}">')
    assert len(links_on(row)) == 1
    plain = client.post(f"/delivery/links/{ids[1]}", data={"place": "delivery"})
    assert plain.headers["Location"] == "/delivery/#delivery-links"
    assert "2 of 2 active teammates" in visible_text(client.get("/delivery/"))


def test_search_takes_like_wildcards_literally(client: FlaskClient, app: Flask) -> None:
    """`%` and `_` in the search match those characters, as on the Teammates page."""
    _teammate(app, name="100% Sure_Person")
    _teammate(app, name="Ada Lovelace")
    for query in ("100%", "sure_"):
        table = page_text(client.get("/delivery/", query_string={"q": query}))
        assert "100% Sure_Person" in table and "Ada Lovelace" not in table
    assert "No active teammate matches “%%”." in page_text(client.get("/delivery/?q=%25%25"))


def test_create_links_for_everyone_adds_only_missing_ones(client: FlaskClient, app: Flask) -> None:
    """Active teammates without a link get one; existing links and inactive teammates are left alone."""
    keep = _teammate(app, name="Ada Lovelace")
    others = [_teammate(app, name=name) for name in ("Grace Hopper", "Alan Turing")]
    gone = _teammate(app, name="Old Timer", active=False)
    existing = _issue(client, keep)
    response = client.post("/delivery/links")
    assert response.status_code == 303
    assert "Created 2 private links." in visible_text(client.get("/delivery/"))
    assert existing in links_on(client.get("/delivery/"))
    with app.app_context():
        linked = {row.teammate_id for row in db.session.exec(select(PrivateLink)).all()}
    assert linked == {keep, *others} and gone not in linked
    client.post("/delivery/links")
    assert "Every active teammate already has a link." in visible_text(client.get("/delivery/"))


def test_create_links_for_everyone_racing_another_admin(
    client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If a teammate got a link between the read and the write, nothing is half-created: a notice, no 500."""
    teammate_id = _teammate(app)
    existing = _issue(client, teammate_id)
    monkeypatch.setattr(links, "teammates_without_link", lambda session: [teammate_id])
    response = client.post("/delivery/links")
    assert response.status_code == 303
    assert "Try again." in visible_text(client.get("/delivery/"))
    assert links_on(client.get(f"/teammates/{teammate_id}")) == [existing]


def test_csv_export_lists_every_active_link(client: FlaskClient, app: Flask) -> None:
    """The CSV has name, email and link for each active link, formula-safe, not cacheable, audited."""
    _teammate(app, name="Ada Lovelace", email="ada@acme.example")
    _teammate(app, name="=HYPERLINK(evil)", email="eve@acme.example")
    client.post("/delivery/links")
    shown = set(links_on(client.get("/delivery/")))
    response = client.post("/delivery/links.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="signet-private-links-')
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["name", "email", "link"]
    assert {row[2] for row in rows[1:]} == shown
    assert ["Ada Lovelace", "ada@acme.example"] in [row[:2] for row in rows[1:]]
    assert ["'=HYPERLINK(evil)", "eve@acme.example"] in [row[:2] for row in rows[1:]]
    with app.app_context():
        assert db.session.exec(
            select(AuditEvent).where(AuditEvent.action == "delivery.links_exported")
        ).first()


def test_csv_export_needs_a_signed_in_admin(client: FlaskClient, app: Flask) -> None:
    """Signed out, the CSV answers with the sign-in redirect (no links); GET is not a way in."""
    _teammate(app)
    client.post("/delivery/links")
    assert client.get("/delivery/links.csv").status_code == 405
    client.post("/logout")
    response = client.post("/delivery/links.csv")
    assert response.status_code in {302, 303}
    assert "/login" in response.headers["Location"]
    assert "/s/" not in response.get_data(as_text=True)
    assert client.get("/delivery/").headers["Location"].startswith("/login")


@pytest.mark.parametrize("page", ["²", "-1", "abc", "9" * 30, "0"])
def test_odd_page_numbers_show_a_page(client: FlaskClient, app: Flask, page: str) -> None:
    """A page number that isn't one shows the first page (past the end: the last), never an error."""
    _teammate(app, name="Ada Lovelace")
    response = client.get("/delivery/", query_string={"page": page})
    assert response.status_code == 200 and "Ada Lovelace" in page_text(response)


def test_unknown_teammate_is_404(client: FlaskClient) -> None:
    """Buttons for a teammate that doesn't exist answer 404."""
    assert client.post("/delivery/links/999999", data={"place": "delivery"}).status_code == 404
    assert client.post("/delivery/links/999999/revoke", data={"place": "delivery"}).status_code == 404
