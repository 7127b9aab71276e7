"""Hostile input to every route and every form field: never a 5xx, never garbage stored, and HEAD
never changes anything (PITFALLS 7.4, 7.5).

Routes come from `app.url_map`. Field names come from the pages themselves (every <input>, <textarea>
and <select> on the pages reachable by following the app's own links, as an admin and anonymously),
from the parameters the code reads (`request.args.get("...")` and the like) and from the route's
converters, so a new route or field is fuzzed without touching this file.
"""

from __future__ import annotations

import io
import json
import re
import socket
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import JSON, select
from sqlmodel import SQLModel
from werkzeug.datastructures import MultiDict
from werkzeug.routing import Rule
from werkzeug.security import generate_password_hash

from tests import factories
from webapp.accounts import store as accounts
from webapp.extensions import db
from webapp.sources.okta import store

WEBAPP = Path(__file__).resolve().parents[2] / "webapp"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
# `request.form.get("x")`, and `form.get("x")` where a view hands the form on.
SOURCE_PARAMETER = re.compile(r"\b(?:args|form|values)\.get\(\s*[\"']([^\"']+)[\"']")
SEEDS = ["/", "/login", "/invite", "/invite/accept", "/setup/admin", "/settings/", "/setup/okta"]
# Sent to us by Okta's redirect back, so on none of our pages.
EXTERNAL_PARAMETERS = {"code", "state", "error", "error_description"}
FAST_HASH = "pbkdf2:sha256:1"
HOSTILE_VALUES: dict[str, str] = {
    "nul": "alice\x00@acme.example",
    "crlf": "/settings/\r\nSet-Cookie: planted=1",
    "controls": "\x01\x08\x1b[31m\x7f",
    "unicode": "Zoë 😀 \u202e\ufeff 𝔘𝔫𝔦 \u0301",
    "html": "<script>alert(1)</script>\"'&",
    "format": "%s%n{0}{{7*7}}${x}",
    "traversal": "../../../etc/passwd",
    "url": "https://evil.example/\\@127.0.0.1:9/",
    "huge int": "9" * 40,
    "negative": "-2147483649",
    "empty": "",
    "long": "x" * 5_000,
    "over the edge limit": "y" * 20_001,
    "1 MB": "z" * 1_000_000,
}
ROUTE_VALUES: dict[str, list[str]] = {
    "IntegerConverter": ["0", "1", "-1", "2147483648", "9" * 40, "1e9", "%00"],
    "PathConverter": ["..%2F..%2Fetc%2Fpasswd", "%00", "css/%0d%0a", "a" * 3000],
    "UnicodeConverter": ["%00", "%0d%0aX:%20y", "%C3%A9%F0%9F%98%80", "a" * 3000],
}
# Values too big to repeat in every field of one request: each goes into one field at a time.
ONE_FIELD_AT_A_TIME = {"over the edge limit", "1 MB"}
TEXT_LIMIT = 10_000  # for text columns without a declared length


# --- What the app has: routes, pages, fields ------------------------------------------------------


class PageFields(HTMLParser):
    """Links and form fields of one page: which field names each form (or hx-post input) sends where."""

    def __init__(self, page_path: str) -> None:
        super().__init__()
        self.page_path = page_path
        self.links: set[str] = set()
        self.fields: dict[str, set[str]] = defaultdict(set)
        self._forms: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        for link in ("href", "hx-get"):
            if attributes.get(link, "").startswith("/"):
                self.links.add(attributes[link])
        if tag == "form":
            self._forms.append(attributes.get("hx-post") or attributes.get("action") or self.page_path)
        if tag in {"input", "textarea", "select", "button"} and attributes.get("name"):
            target = attributes.get("hx-post") or (self._forms[-1] if self._forms else self.page_path)
            self.fields[urlsplit(target).path].add(attributes["name"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._forms:
            self._forms.pop()


@dataclass
class Discovery:
    """Every field name the app's pages and code use, and which ones each path's forms send."""

    fields_by_path: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    query_by_path: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    pages: set[str] = field(default_factory=set)

    def merge(self, other: Discovery) -> None:
        """Add what another crawl found."""
        for path, names in other.fields_by_path.items():
            self.fields_by_path[path] |= names
        for path, names in other.query_by_path.items():
            self.query_by_path[path] |= names
        self.pages |= other.pages

    @property
    def all_fields(self) -> set[str]:
        names = {name for names in self.fields_by_path.values() for name in names}
        names |= {name for names in self.query_by_path.values() for name in names}
        return names - {"csrf_token"}


def _code_parameters() -> set[str]:
    names = set(EXTERNAL_PARAMETERS)
    for source in WEBAPP.rglob("*.py"):
        names |= set(SOURCE_PARAMETER.findall(source.read_text()))
    return names


def _crawlable(app: Flask, path: str) -> bool:
    try:
        endpoint, _ = app.url_map.bind("localhost").match(path, method="GET")
    except Exception:  # noqa: BLE001 - not found, redirect, wrong method: not a page to crawl
        return False
    view = app.view_functions.get(endpoint)
    return endpoint != "static" and not getattr(view, "changes_state_on_get", False)


def discover(app: Flask, clients: list[FlaskClient], seeds: list[str]) -> Discovery:
    """Follow the app's own links from `seeds` with each client and collect every form field."""
    found = Discovery()
    for client in clients:
        queue, seen = list(seeds), set()
        while queue and len(seen) < 80:
            url = queue.pop(0)
            if url in seen or not _crawlable(app, urlsplit(url).path):
                continue
            seen.add(url)
            response = client.get(url)
            parts = urlsplit(url)
            found.pages.add(parts.path)
            for name, _ in parse_qsl(parts.query):
                found.query_by_path[parts.path].add(name)
            parser = PageFields(parts.path)
            parser.feed(response.get_data(as_text=True))
            for path, names in parser.fields.items():
                found.fields_by_path[path] |= names
            queue.extend(sorted(parser.links - seen))
    code_names = _code_parameters()
    found.fields_by_path["*"] |= code_names
    return found


def _urls(rule: Rule) -> Iterator[str]:
    """The rule with benign values, then with each hostile value in each of its arguments."""
    converters = {name: type(converter).__name__ for name, converter in rule._converters.items()}
    benign = {name: "1" if kind == "IntegerConverter" else "css" for name, kind in converters.items()}

    def build(values: dict[str, str]) -> str:
        return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda match: values[match.group(1)], rule.rule)

    yield build(benign)
    for name, kind in converters.items():
        for value in ROUTE_VALUES.get(kind, ROUTE_VALUES["UnicodeConverter"]):
            yield build({**benign, name: value})


# --- Sending -------------------------------------------------------------------------------------


@dataclass
class Fuzzer:
    """Sends requests as one identity, collects 5xx answers and exceptions.

    Roles: "first run" (anonymous, before any admin exists), "admin" (signed in), "invitee"
    (anonymous, holding an opened invitation, so the choose-a-password form is reached too).
    """

    app: Flask
    role: str
    client: FlaskClient = field(init=False)
    failures: list[str] = field(default_factory=list)
    sent: int = 0
    csrf: str = ""

    def __post_init__(self) -> None:
        self.client = self.app.test_client()
        self.refresh()

    def refresh(self) -> None:
        """Put the identity back if a request changed it (signed out, signed in, used the invitation)."""
        with self.client.session_transaction() as session:
            signed_in, invited = "_user_id" in session, "invite_id" in session
        if self.role == "admin" and not signed_in:
            login = {"email": factories.ADMIN_EMAIL, "password": factories.ADMIN_PASSWORD}
            self.client.post("/login", data=login, headers={"X-CSRFToken": self._token()})
            self.csrf = ""
        if self.role == "invitee" and (signed_in or not invited):
            self.client = self.app.test_client()  # a fresh browser
            with self.app.app_context(), db.session_scope() as session:
                _, token = factories.gen_invite(session, email=f"invitee{self.sent}@acme.example")
            self.client.post("/invite", data={"token": token}, headers={"X-CSRFToken": self._token()})
            self.csrf = ""
        if not self.csrf:
            self.csrf = self._token()

    def _token(self) -> str:
        match = CSRF_META.search(self.client.get("/__fuzz__").get_data(as_text=True))
        assert match
        return match.group(1)

    def send(self, method: str, url: str, **kwargs: Any) -> None:
        """One request; a 5xx or an exception is a failure, described so it can be replayed."""
        self.sent += 1
        headers = {"X-CSRFToken": self.csrf, **kwargs.pop("headers", {})}
        # A different address per request, so the sign-in throttle doesn't stop the fuzzing early.
        environ = {"REMOTE_ADDR": f"10.{self.sent >> 16 & 255}.{self.sent >> 8 & 255}.{self.sent & 255}"}
        described = f"{self.role} {method} {url[:120]} {str(kwargs)[:200]}"
        try:
            response = self.client.open(url, method=method, headers=headers, environ_base=environ, **kwargs)
        except Exception as error:  # noqa: BLE001 - every exception is a finding
            self.failures.append(f"{described}: {type(error).__name__}: {str(error)[:200]}")
        else:
            if response.status_code >= 500:
                self.failures.append(f"{described}: {response.status_code}")
        if method == "POST":
            self.refresh()


def _requests(app: Flask, found: Discovery) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, url, request kwargs) for every rule and method: each hostile value in all fields at
    once, then in each of the route's own fields alone (the others benign), then wrong types; and
    each hostile value of the route's converters in its URL."""
    everything = found.all_fields
    for rule in app.url_map.iter_rules():
        own = (found.fields_by_path.get(rule.rule.split("<", 1)[0]) or set()) - {"csrf_token"}
        own |= found.query_by_path.get(rule.rule, set())
        urls = _urls(rule)
        url = next(urls)
        for method in sorted((rule.methods or set()) - {"OPTIONS"}):
            carrier = "query_string" if method in {"GET", "HEAD"} else "data"
            for number, (label, value) in enumerate(HOSTILE_VALUES.items()):
                headers = _htmx_headers(value) if number % 2 else {}
                if label not in ONE_FIELD_AT_A_TIME:
                    yield method, url, {carrier: dict.fromkeys(everything, value), "headers": headers}
                for name in sorted(own or {"email"}) if method != "HEAD" else []:
                    benign = dict.fromkeys(own, "benign")
                    yield method, url, {carrier: {**benign, name: value}, "headers": headers}
            yield from _wrong_types(method, url, everything, carrier)
            for hostile_url in urls:
                yield method, hostile_url, {}


def _htmx_headers(value: str) -> dict[str, str]:
    """An htmx request whose HX-Current-URL (read for `next`) is the hostile value, when it can be a
    header value at all (a server refuses CR/LF, NUL and non-Latin-1 before the app sees them)."""
    headers = {"HX-Request": "true"}
    if value.isascii() and value.isprintable() and len(value) < 8000:
        headers["HX-Current-URL"] = value
    return headers


def _wrong_types(
    method: str, url: str, names: set[str], carrier: str
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Lists instead of values, files instead of fields, JSON instead of a form, broken UTF-8."""
    several = MultiDict([(name, value) for name in sorted(names) for value in ("1", "\x00", "x" * 3000)])
    yield method, url, {carrier: several}
    if method == "POST":
        files = {name: (io.BytesIO(b"\x00\xff" * 1000), "x\x00.txt") for name in names}
        yield method, url, {"data": files, "content_type": "multipart/form-data"}
        body = json.dumps(dict.fromkeys(names, [1, None]))
        yield method, url, {"data": body, "content_type": "application/json"}
        broken = "&".join(f"{name}=%FF%FE%00" for name in sorted(names))
        yield method, url, {"data": broken, "content_type": "application/x-www-form-urlencoded"}
    else:
        yield method, url, {"query_string": "&".join(f"{name}=%FF%FE" for name in sorted(names))}


def _stored_garbage(app: Flask) -> list[str]:
    """Text values with NUL bytes or longer than their column allows (SQLite doesn't enforce it)."""
    problems = []
    with app.app_context(), db.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in connection.execute(select(table)).mappings():
                for column in table.columns:
                    value = row[column.key]
                    if isinstance(column.type, JSON):
                        value = json.dumps(value)
                    if not isinstance(value, str):
                        continue
                    limit = getattr(column.type, "length", None) or TEXT_LIMIT
                    if "\x00" in value or len(value) > limit:
                        problems.append(f"{table.name}.{column.key}: {value[:60]!r} ({len(value)} chars)")
    return problems


@pytest.fixture
def fast_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """One-round password hashes, so thousands of sign-in attempts take seconds, not minutes."""
    monkeypatch.setattr(accounts, "PASSWORD_HASH_METHOD", FAST_HASH)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", generate_password_hash("dummy", FAST_HASH))


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No DNS for anything but loopback: fuzzed domains are never looked up on the real network."""
    real = socket.getaddrinfo

    def loopback_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        if str(host) not in {"127.0.0.1", "localhost", "::1"}:
            raise socket.gaierror(socket.EAI_NONAME, "offline in tests")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)


def _add_admin(app: Flask) -> None:
    with app.app_context(), db.session_scope() as session:
        factories.gen_admin(session)


def _fuzz(app: Flask, fuzzer: Fuzzer, found: Discovery) -> None:
    for method, url, kwargs in _requests(app, found):  # generated afresh: files are read once
        fuzzer.send(method, url, **kwargs)


def test_hostile_input_never_causes_a_server_error_or_stored_garbage(
    app: Flask, fast_hashes: None, offline: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every route (from the URL map) and every field (from the pages and the code), on a fresh
    instance, as an admin and as an invitee: NUL, CR/LF, controls, unicode, 1 MB, huge integers,
    lists, files, JSON. No 5xx, no exception, and afterwards no text column holds a NUL byte or more
    characters than it declares."""
    app.test_client_class = FlaskClient
    first_run = Fuzzer(app, "first run")
    found = discover(app, [first_run.client], SEEDS)
    _fuzz(app, first_run, found)
    _add_admin(app)
    fuzzers = [first_run, Fuzzer(app, "admin"), Fuzzer(app, "invitee")]
    more = discover(app, [fuzzer.client for fuzzer in fuzzers[1:]], SEEDS)
    found.merge(more)
    for fuzzer in fuzzers[1:]:
        _fuzz(app, fuzzer, found)
    with capsys.disabled():
        print(  # noqa: T201 - the coverage figures the report quotes
            f"\nfuzz: {len(list(app.url_map.iter_rules()))} routes, {len(found.all_fields)} field names "
            f"{sorted(found.all_fields)}, {len(found.pages)} pages crawled, "
            f"{sum(fuzzer.sent for fuzzer in fuzzers)} requests"
        )
    failures = [failure for fuzzer in fuzzers for failure in fuzzer.failures]
    assert failures == [], f"{len(failures)} failures, first ones:\n" + "\n".join(failures[:30])
    assert _stored_garbage(app) == []


# --- HEAD never changes state ---------------------------------------------------------------------


def _snapshot(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    with app.app_context(), db.engine.connect() as connection:
        return {
            table.name: sorted(map(tuple, connection.execute(select(table))), key=repr)
            for table in SQLModel.metadata.sorted_tables
        }


def test_head_with_a_body_never_changes_state(app: Flask, sandbox: Any, offline: None) -> None:
    """HEAD, with a form body and query string of valid values (right password, a live invitation
    token, a pending Okta state), to every route that answers GET: as an admin and anonymously, the
    database and the signed-in state stay as they were."""
    app.test_client_class = FlaskClient
    _add_admin(app)
    fuzzers = [Fuzzer(app, "anonymous"), Fuzzer(app, "admin")]  # anonymous first: it must sign no one in
    admin = fuzzers[1].client
    org = sandbox.sandbox
    with app.app_context(), db.session_scope() as session:
        progress = store.get_progress(session=session)
        progress.domain_input = progress.okta_origin = sandbox.origin
        progress.client_id_input = org.default_app.client_id
        progress.completed_steps, progress.current_step = list(range(1, 10)), 10
        store.save_progress(session=session, progress=progress)
    start = admin.get("/setup/okta/connect", headers={"Sec-Fetch-Site": "same-origin"})
    assert start.status_code == 302, start.get_data(as_text=True)
    state = dict(parse_qsl(urlsplit(start.headers["Location"]).query))["state"]
    with app.app_context(), db.session_scope() as session:
        _, token = factories.gen_invite(session, email="carol@acme.example")
    valid = {
        "email": factories.ADMIN_EMAIL,
        "password": factories.ADMIN_PASSWORD,
        "password_confirm": factories.ADMIN_PASSWORD,
        "token": token,
        "state": state,
        "code": "an-authorization-code",
        "domain": sandbox.origin,
        "client_id": org.default_app.client_id,
        "step": "10",
    }
    heads = [rule for rule in app.url_map.iter_rules() if "HEAD" in (rule.methods or set())]
    for fuzzer in fuzzers:
        for rule in heads:
            url = next(_urls(rule))
            before = _snapshot(app)
            response = fuzzer.client.open(
                url, method="HEAD", data=valid, query_string=valid, headers={"Sec-Fetch-Site": "same-origin"}
            )
            assert response.status_code < 500, (fuzzer.role, url)
            assert _snapshot(app) == before, f"HEAD {url} as {fuzzer.role} changed the database"
            with fuzzer.client.session_transaction() as session:
                signed_in = "_user_id" in session
            assert signed_in == (fuzzer.role == "admin"), f"HEAD {url} changed who is signed in"
    assert len(heads) >= 10
