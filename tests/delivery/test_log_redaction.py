"""Private-link tokens never reach a log: the app's own messages, Werkzeug's request log, and a real
gunicorn with `make run`'s access-log format and its error log at debug level (PITFALLS 7.3)."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from flask import Flask

from tests.accounts.test_secrets_in_logs import Gunicorn, gunicorn  # noqa: F401 - the fixture
from tests.conftest import LiveServer
from tests.delivery.factories import gen_signed_teammate
from webapp import create_app
from webapp.delivery import links
from webapp.delivery.redaction import REDACTED_PATH, redact, redact_record
from webapp.delivery.web import secret_box
from webapp.extensions import db


def _issue(app: Flask) -> str:
    """A live link's token for a new signed teammate of `app`."""
    with app.app_context(), db.session_scope() as session:
        teammate = gen_signed_teammate(session, name="Ada Lovelace")
        assert teammate.id is not None
        _, token, _ = links.issue_link(
            session=session, box=secret_box(), teammate_id=teammate.id, created_by=None
        )
    return token


def _leaks(lines: list[str], secrets: list[str]) -> list[str]:
    forms = {form for secret in secrets for form in (secret, quote(secret, safe=""))}
    return [line for line in lines if any(form in line for form in forms)]


def _access_logged(gunicorn: Gunicorn, requests: int) -> list[str]:  # noqa: F811
    """The log lines, once the access log has a line for each of the `requests` (written after the
    response, so the last one may still be on its way)."""
    deadline = time.monotonic() + 10
    while True:
        lines = gunicorn.log_lines()
        if sum(f"GET {REDACTED_PATH} " in line for line in lines) >= requests or time.monotonic() > deadline:
            return lines
        time.sleep(0.1)


def test_redact_replaces_the_token_of_every_private_path() -> None:
    """Paths, full URLs and request lines lose the token; other paths are untouched."""
    token = links.new_token()
    assert redact(f'GET /s/{token} HTTP/1.1" 200') == f'GET {REDACTED_PATH} HTTP/1.1" 200'
    assert (
        redact(f"https://signet.acme.example/s/{token}?x=1")
        == f"https://signet.acme.example{REDACTED_PATH}?x=1"
    )
    assert redact("/teammates/12 and /settings/") == "/teammates/12 and /settings/"
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%(U)s %(s)s", None, None)
    record.args = {"U": f"/s/{token}", "s": "200"}
    redact_record(record)
    assert record.getMessage() == f"{REDACTED_PATH} 200"


def test_app_log_messages_are_redacted(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    """Whatever logger and arguments carry a private path, the captured record has no token."""
    token = links.new_token()
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("webapp").error("Unhandled error on %s %s", "GET", f"/s/{token}")
        logging.getLogger("gunicorn.error").warning(f"Error handling request /s/{token}")
        logging.getLogger("gunicorn.access").info("%(U)s", {"U": f"/s/{token}"})
        try:
            raise LookupError(f"nothing routed at /s/{token}")
        except LookupError:
            logging.getLogger("webapp").exception("Unhandled error")
    assert len(caplog.records) == 4
    assert _leaks(caplog.text.splitlines(), [token]) == []
    assert caplog.text.count(REDACTED_PATH) >= 4  # the traceback quotes the raising line too


def test_werkzeug_request_log_never_shows_the_token(
    live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    """`flask run`'s server logs each request line: a live link, a dead one and a guess, all redacted."""
    token = _issue(live_server.app)
    guess = links.new_token()
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        assert httpx.get(f"{live_server.url}/s/{token}").status_code == 200
        assert httpx.get(f"{live_server.url}/s/{guess}").status_code == 404
        assert httpx.get(f"{live_server.url}/s/{quote(token)}%41").status_code == 404
    lines = [record.getMessage() for record in caplog.records if record.name == "werkzeug"]
    assert sum(REDACTED_PATH in line for line in lines) == 3, lines
    assert _leaks(lines, [token, guess]) == []


def test_gunicorn_logs_never_show_the_token(gunicorn: Gunicorn, tmp_path: Path) -> None:  # noqa: F811
    """Under gunicorn (access log in `make run`'s format, error log at debug, output captured), opening
    a live link, a revoked one and a guess leaves no token in any log line."""
    app = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'signet.db'}", "INSTANCE_PATH": str(tmp_path / "instance")}
    )
    live = _issue(app)
    revoked = _issue(app)
    with app.app_context(), db.session_scope() as session:
        teammate = links.find_teammate_by_token(session=session, token=revoked)
        assert teammate is not None and teammate.id is not None
        links.revoke_link(session=session, teammate_id=teammate.id)
    guess = links.new_token()
    assert httpx.get(f"{gunicorn.url}/s/{live}").status_code == 200
    assert httpx.get(f"{gunicorn.url}/s/{revoked}").status_code == 404
    assert httpx.get(f"{gunicorn.url}/s/{guess}").status_code == 404
    lines = _access_logged(gunicorn, 3)
    assert sum(f"GET {REDACTED_PATH} " in line for line in lines) == 3, lines[-5:]
    assert _leaks(lines, [live, revoked, guess]) == []


def test_request_lines_in_server_logs_lose_their_query_string(
    live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The access log leaves query strings out (Okta's callback carries its one-time code there);
    gunicorn's "Error handling request" line and Werkzeug's request log do too, private paths still
    redacted. Other messages keep their question marks."""
    token = links.new_token()
    code = "okta-one-time-code-" + links.new_token()
    error = logging.LogRecord(
        "gunicorn.error", logging.ERROR, __file__, 1, "Error handling request %s %s", None, None
    )
    error.args = ("GET", f"/callbacks/okta?code={code}&state=abc")
    redact_record(error)
    assert error.getMessage() == "Error handling request GET /callbacks/okta?[redacted]"
    bare = logging.LogRecord(
        "gunicorn.error", logging.ERROR, __file__, 1, "Error handling request %s", None, None
    )
    bare.args = (f"/s/{token}?code={code}",)
    redact_record(bare)
    assert bare.getMessage() == f"Error handling request {REDACTED_PATH}?[redacted]"
    other = logging.LogRecord("webapp", logging.INFO, __file__, 1, "Why? %s", ("because?",), None)
    redact_record(other)
    assert other.getMessage() == "Why? because?"
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        assert httpx.get(f"{live_server.url}/healthz?code={code}").status_code == 200
        assert httpx.get(f"{live_server.url}/s/{token}?code={code}").status_code == 404
    lines = [record.getMessage() for record in caplog.records if record.name == "werkzeug"]
    assert any("GET /healthz?[redacted] HTTP/1.1" in line for line in lines), lines
    assert any(f"GET {REDACTED_PATH}?[redacted] HTTP/1.1" in line for line in lines), lines
    assert _leaks(lines, [token, code]) == []
