"""The Teammates pages: the table (search, filters, sort, pages; page and fragment) and one teammate."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import page_text, visible_text
from tests.teammates.factories import gen_attributes, gen_connection, gen_run, gen_teammate
from webapp.db import utcnow
from webapp.extensions import db
from webapp.teammates.models import ChangeKind, TeammateChange
from webapp.teammates.profile import admin_console_url, display_value

pytestmark = pytest.mark.usefixtures("signed_in")
ROW_LINK = re.compile(r'<td><a href="/teammates/\d+">([^<]*)</a></td>')


def names(response: object) -> list[str]:
    """The names in the table, in order (HTML entities decoded)."""
    import html

    return [html.unescape(name) for name in ROW_LINK.findall(page_text(response))]


def seed(app: Flask) -> dict[str, int]:
    """Five teammates across departments and statuses; returns their ids by name."""
    now = utcnow()
    with app.app_context(), db.session_scope() as session:
        people = [
            gen_teammate(
                session,
                name="Ada Lovelace",
                department="Engineering",
                title="Engineer",
                changed_at=now - timedelta(days=3),
            ),
            gen_teammate(
                session,
                name="Grace Hopper",
                department="Engineering",
                title="Admiral",
                changed_at=now - timedelta(days=1),
            ),
            gen_teammate(
                session,
                name="Alan Turing",
                department="Research",
                title=None,
                active=False,
                status="DEPROVISIONED",
                changed_at=now - timedelta(days=2),
            ),
            gen_teammate(
                session,
                name="Katherine Johnson",
                department=None,
                title="Mathematician",
                removed=True,
                active=False,
                changed_at=now - timedelta(days=5),
            ),
            gen_teammate(
                session,
                name="100% Sure_Person",
                email="sure@acme.example",
                department="Sales",
                changed_at=now,
            ),
        ]
        return {person.display_name: person.id for person in people if person.id is not None}


def test_empty_state_before_the_first_sync(client: FlaskClient) -> None:
    """No teammates and Okta not connected: the page says so and links to Setup, with no table or form."""
    response = client.get("/teammates/")
    assert response.status_code == 200
    text = visible_text(response)
    assert "No teammates yet" in text and "Connect Okta to get started." in text
    assert 'href="/setup/okta"' in page_text(response)
    assert 'id="teammates-filters"' not in page_text(response)


def test_empty_state_when_connected_points_at_the_sync_page(app: Flask, client: FlaskClient) -> None:
    """Connected but never synced: the empty state offers the first sync."""
    with app.app_context(), db.session_scope() as session:
        gen_connection(session)
    response = client.get("/teammates/")
    assert "Run the first sync" in visible_text(response)
    assert 'href="/sync/"' in page_text(response)


def test_page_and_fragment(app: Flask, client: FlaskClient, htmx_client: FlaskClient) -> None:
    """A full page has the form and the table; htmx gets only the table; both say Vary: HX-Request."""
    seed(app)
    page = client.get("/teammates/?q=ada")
    fragment = htmx_client.get("/teammates/?q=ada")
    assert page.status_code == fragment.status_code == 200
    assert "<html" in page_text(page) and 'id="teammates-filters"' in page_text(page)
    assert "<html" not in page_text(fragment) and 'id="teammates-filters"' not in page_text(fragment)
    assert 'id="teammates-table"' in page_text(fragment)
    assert names(page) == names(fragment) == ["Ada Lovelace"]
    for response in (page, fragment):
        assert "HX-Request" in response.headers["Vary"]
    restore = htmx_client.get("/teammates/?q=ada", headers={"HX-History-Restore-Request": "true"})
    assert "<html" in page_text(restore)


def test_search_matches_name_or_email_case_insensitively(app: Flask, client: FlaskClient) -> None:
    """The search matches part of a name or an email, whatever the case; spaces are collapsed."""
    seed(app)
    assert names(client.get("/teammates/?q=GRACE")) == ["Grace Hopper"]
    assert names(client.get("/teammates/?q=sure%40acme")) == ["100% Sure_Person"]
    assert names(client.get("/teammates/?q=++alan+++turing+")) == ["Alan Turing"]


@pytest.mark.parametrize(
    "query",
    [
        "' OR 1=1 --",
        "%%",
        "__",
        "\\",
        "%' UNION SELECT * FROM admin_users --",
        '"; DROP TABLE teammates; --',
        "<script>alert(1)</script>",
        "x" * 1500,
        "ünïcødé 名前 🙂",
    ],
)
def test_hostile_search_is_just_text(app: Flask, client: FlaskClient, query: str) -> None:
    """SQL-ish strings, LIKE wildcards and long input are searched for literally: no match, no error."""
    seed(app)
    response = client.get("/teammates/", query_string={"q": query})
    assert response.status_code == 200
    assert names(response) == []
    assert "No teammate matches" in visible_text(response)
    assert "<script>alert" not in response.get_data(as_text=True)


def test_like_wildcards_match_literally(app: Flask, client: FlaskClient) -> None:
    """`%` and `_` in the search match those characters, not "anything"."""
    seed(app)
    assert names(client.get("/teammates/", query_string={"q": "100%"})) == ["100% Sure_Person"]
    assert names(client.get("/teammates/", query_string={"q": "sure_"})) == ["100% Sure_Person"]


@pytest.mark.parametrize(
    ("query", "status"),
    [({"q": "a\x00b"}, 400), ({"q": "x" * 3000}, 400), ({"page": "\x00"}, 400), ({"sort": "a\nb"}, 400)],
)
def test_control_characters_and_oversized_values_are_refused(
    app: Flask, client: FlaskClient, query: dict[str, str], status: int
) -> None:
    """A NUL byte, a line break or an oversized value is refused at the edge (400), never a 500."""
    seed(app)
    assert client.get("/teammates/", query_string=query).status_code == status


@pytest.mark.parametrize(
    "query",
    [
        {"page": "abc"},
        {"page": "-3"},
        {"page": "99999999999999999999"},
        {"page": "²"},
        {"sort": "password"},
        {"sort": "name; DROP TABLE teammates"},
        {"dir": "sideways"},
        {"status": "everything"},
        {"department": "Nope'--"},
    ],
)
def test_unknown_parameters_fall_back_to_defaults(
    app: Flask, client: FlaskClient, query: dict[str, str]
) -> None:
    """Nonsense in page, sort, dir or status is ignored (the defaults apply); never an error."""
    seed(app)
    response = client.get("/teammates/", query_string=query)
    assert response.status_code == 200


def test_status_filters(app: Flask, client: FlaskClient) -> None:
    """Active, inactive (deactivated in Okta) and removed (no longer in Okta) each filter the table."""
    seed(app)
    assert names(client.get("/teammates/?status=active")) == [
        "100% Sure_Person",
        "Ada Lovelace",
        "Grace Hopper",
    ]
    assert names(client.get("/teammates/?status=inactive")) == ["Alan Turing"]
    assert names(client.get("/teammates/?status=removed")) == ["Katherine Johnson"]
    assert "Removed from Okta" in visible_text(client.get("/teammates/?status=removed"))


def test_department_and_title_filters_offer_distinct_values(app: Flask, client: FlaskClient) -> None:
    """The selects list each department and title once, sorted; choosing one filters the table."""
    seed(app)
    page = page_text(client.get("/teammates/"))
    department_select = page.split('name="department"', 1)[1].split("</select>", 1)[0]
    options = re.findall(r'<option value="([^"]*)"', department_select)
    assert options == ["", "Engineering", "Research", "Sales"]
    assert names(client.get("/teammates/?department=Engineering")) == ["Ada Lovelace", "Grace Hopper"]
    assert names(client.get("/teammates/?department=Engineering&title=Admiral")) == ["Grace Hopper"]
    kept = page_text(client.get("/teammates/?department=Gone"))
    assert '<option value="Gone" selected>Gone</option>' in kept  # a stale choice stays visible


def test_sorting_by_each_column(app: Flask, client: FlaskClient) -> None:
    """Name, email, department, title and last change sort both ways; blanks come last either way."""
    seed(app)
    assert names(client.get("/teammates/"))[0] == "100% Sure_Person"
    assert names(client.get("/teammates/?dir=desc"))[0] == "Katherine Johnson"
    by_department = names(client.get("/teammates/?sort=department"))
    assert by_department[-1] == "Katherine Johnson"  # no department
    assert by_department[:2] == ["Ada Lovelace", "Grace Hopper"]
    assert names(client.get("/teammates/?sort=department&dir=desc"))[-1] == "Katherine Johnson"
    assert names(client.get("/teammates/?sort=title"))[0] == "Grace Hopper"  # Admiral
    assert names(client.get("/teammates/?sort=changed&dir=desc"))[:2] == ["100% Sure_Person", "Grace Hopper"]
    assert names(client.get("/teammates/?sort=email"))[0] == "Ada Lovelace"


def test_sort_headers_say_how_the_table_is_sorted(app: Flask, client: FlaskClient) -> None:
    """The sorted column has aria-sort and its link flips the direction; the form keeps the sort."""
    seed(app)
    page = client.get("/teammates/?q=a&sort=title&dir=desc").get_data(as_text=True)
    assert re.search(r'aria-sort="descending"><a class="sort" href="/teammates/\?q=a&amp;sort=title"', page)
    assert re.search(r'aria-sort="none"><a class="sort" href="/teammates/\?q=a&amp;sort=name"', page)
    assert '<input type="hidden" form="teammates-filters" name="sort" value="title">' in page
    assert '<input type="hidden" form="teammates-filters" name="dir" value="desc">' in page


def test_pagination(app: Flask, client: FlaskClient, htmx_client: FlaskClient) -> None:
    """120 teammates, 50 a page: page links keep the filters; a page past the end shows the last one."""
    from tests.teammates.factories import gen_many_teammates

    with app.app_context(), db.session_scope() as session:
        gen_many_teammates(session, 120)
    first = client.get("/teammates/?q=person")
    assert len(names(first)) == 50
    assert "1–50 of 120 teammates" in visible_text(first)
    assert 'href="/teammates/?q=person&amp;page=2"' in first.get_data(as_text=True)
    third = htmx_client.get("/teammates/?q=person&page=3")
    assert len(names(third)) == 20 and names(third)[0] == "Person 00100"
    previous = 'href="/teammates/?q=person&amp;page=2" hx-get="/teammates/?q=person&amp;page=2" rel="prev"'
    assert previous in third.get_data(as_text=True)
    assert 'rel="next"' not in page_text(third)
    assert names(client.get("/teammates/?q=person&page=40")) == names(third)


def test_each_row_links_to_the_teammate(app: Flask, client: FlaskClient) -> None:
    """Every name links to that teammate's page."""
    ids = seed(app)
    page = page_text(client.get("/teammates/"))
    assert f'<a href="/teammates/{ids["Grace Hopper"]}">Grace Hopper</a>' in page


def test_teammate_page_shows_the_profile_with_okta_titles(app: Flask, client: FlaskClient) -> None:
    """Attributes carry the schema's titles, in its order; any JSON value is shown sensibly."""
    with app.app_context(), db.session_scope() as session:
        gen_connection(session, origin="https://dev-123.okta.com")
        gen_attributes(session, ("title", "Title"), ("department", "Department"), ("languages", "Languages"))
        teammate = gen_teammate(
            session,
            name="Ada Lovelace",
            profile={
                "languages": ["en", "fr"],
                "isManager": True,
                "isContractor": False,
                "costCenter": None,
                "employeeNumber": 42,
                "nickName": "",
            },
        )
        teammate_id = teammate.id
    response = client.get(f"/teammates/{teammate_id}")
    assert response.status_code == 200
    text = visible_text(response)
    assert "Title title Engineer" in text
    assert "Department department Engineering" in text
    assert "Languages languages en, fr" in text
    assert "isManager isManager Yes" in text and "isContractor isContractor No" in text
    assert "employeeNumber employeeNumber 42" in text and "nickName nickName —" in text
    assert "costCenter costCenter —" in text
    assert text.index("Title title") < text.index("Department department") < text.index("Languages languages")
    assert "Active (Okta: ACTIVE )" in text
    assert 'href="https://dev-123-admin.okta.com/admin/user/profile/view/00u' in page_text(response)


def test_teammate_page_escapes_directory_values(app: Flask, client: FlaskClient) -> None:
    """Names and attribute values from Okta are escaped: no tag, no htmx attribute gets through."""
    hostile = '<img src=x onerror=alert(1) hx-get="/logout">'
    with app.app_context(), db.session_scope() as session:
        teammate = gen_teammate(session, name=hostile, profile={"title": hostile, "tags": [hostile]})
        teammate_id = teammate.id
    for path in (f"/teammates/{teammate_id}", "/teammates/"):
        body = client.get(path).get_data(as_text=True)
        assert "<img" not in body and "&lt;img src=x" in body


def test_teammate_history_lists_changes_with_their_run(app: Flask, client: FlaskClient) -> None:
    """Each change shows when, which attribute (by its title), from what to what, and which run."""
    with app.app_context(), db.session_scope() as session:
        gen_attributes(session, ("title", "Job title"))
        teammate = gen_teammate(session, name="Grace Hopper")
        run = gen_run(session)
        for kind, changes, status in (
            (ChangeKind.CREATED, {}, (None, "ACTIVE")),
            (
                ChangeKind.UPDATED,
                {"title": ["Captain", "Rear Admiral"], "languages": [None, ["en"]]},
                (None, None),
            ),
            (ChangeKind.DEACTIVATED, {}, ("ACTIVE", "SUSPENDED")),
        ):
            session.add(
                TeammateChange(
                    teammate_id=teammate.id,
                    sync_run_id=run.id,
                    kind=kind,
                    changes=changes,
                    status_from=status[0],
                    status_to=status[1],
                )
            )
        teammate_id, run_id = teammate.id, run.id
    text = visible_text(client.get(f"/teammates/{teammate_id}"))
    assert "Job title: Captain → Rear Admiral" in text
    assert "languages: — → en" in text
    assert "Status: ACTIVE → SUSPENDED" in text
    assert "First synced" in text and "Deactivated" in text
    assert f"Full sync #{run_id}" in text


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        ("https://dev-123.okta.com", "https://dev-123-admin.okta.com/admin/user/profile/view/00uX"),
        ("https://acme.oktapreview.com", "https://acme-admin.oktapreview.com/admin/user/profile/view/00uX"),
        ("https://acme.okta-emea.com", "https://acme-admin.okta-emea.com/admin/user/profile/view/00uX"),
        ("https://login.acme.example", None),
        ("http://127.0.0.1:9000", None),
        ("https://a.b.okta.com", None),
        (None, None),
    ],
)
def test_admin_console_url(origin: str | None, expected: str | None) -> None:
    """The admin console sits on the org's `-admin` host; custom domains and sandboxes get no link."""
    assert admin_console_url(origin, "00uX") == expected


def test_custom_domain_gets_a_note_instead_of_a_link(app: Flask, client: FlaskClient) -> None:
    """For an org Signet can't map to its admin console, the page names the user id instead."""
    with app.app_context(), db.session_scope() as session:
        gen_connection(session, origin="http://127.0.0.1:9000")
        teammate_id = gen_teammate(session).id
    text = visible_text(client.get(f"/teammates/{teammate_id}"))
    assert "can't tell the admin console's address for 127.0.0.1:9000" in text


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "—"),
        ("", "—"),
        ([], "—"),
        (True, "Yes"),
        (False, "No"),
        (["a", 1, None], "a, 1, —"),
        (3.5, "3.5"),
        ({"b": 1, "a": "x"}, '{"a": "x", "b": 1}'),
    ],
)
def test_display_value(value: object, shown: str) -> None:
    """Every JSON type reads sensibly."""
    assert display_value(value) == shown


@pytest.mark.parametrize(
    "path", ["/teammates/999999", "/teammates/0", "/teammates/99999999999", "/teammates/abc"]
)
def test_unknown_teammate_is_404(app: Flask, client: FlaskClient, path: str) -> None:
    """An unknown, out-of-range or malformed id is a 404 page."""
    seed(app)
    response = client.get(path)
    assert response.status_code == 404
    assert "There is nothing at this address." in visible_text(response)


def test_pages_require_signing_in(app: Flask) -> None:
    """Signed out, both pages send the browser to sign in."""
    fresh = app.test_client()
    for path in ("/teammates/", "/teammates/1"):
        response = fresh.get(path)
        assert response.status_code == 303 and "/login" in response.headers["Location"]
