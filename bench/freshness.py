"""Benchmark freshness: how long after a title change in Okta the teammate's signature shows it.

Run: ``.venv/bin/python -m bench.freshness [--event-hook] [--delete [--leavers N]] [--users 25]``

The sandbox runs in its own process (``python -m okta_sandbox``), Signet in another (gunicorn, one
worker, the background jobs on, an incremental sync every minute: SYNC_INTERVAL_MINUTES=1). A setup
step in this process prepares Signet's database through the app's own Python APIs: an admin, a real
Okta connect, a full sync, a published template showing the job title as everyone's default, an API
token, the teammate's private link and, with ``--event-hook``, the event hook's secret; the sandbox
then registers and verifies its event hook against the running Signet (``/__sandbox/event-hooks``).

Then it changes one teammate's title in the sandbox and polls, every 0.1 s, the export API
(``GET /api/v1/signatures/<id>`` with the API token) and the private page (``/s/<token>``) until
both show the new title. It prints one JSON line: ``mode`` (``poll`` or ``event-hook``),
``seconds`` (from the change to both showing it), ``renders`` (signature changes Signet recorded
after the change: each is one signature re-rendered to something new) and ``sync_runs`` (the runs
that started after the change, by trigger). Targets: under 65 s polling (the change lands anywhere
in the minute), under 5 s with the event hook, exactly one render.

With ``--delete`` the change is a leaver removed as real orgs do it: deactivated, then deleted a
second later (the sandbox's ``POST /__sandbox/users/deactivate-and-delete``), ``--leavers`` of them
(1 by default; 6 of 25 is above the 20% hold threshold). The bench polls until the export API and
the private page both answer 404 for each of them (no signature) and prints ``seconds``, ``held``
(teammates a hold kept) and ``sync_runs``. With the event hook the hook-triggered sync looks them up
by id; without it only the next scheduled full sync (hourly by default, at 03:00 UTC plus whole
hours) finds them, so ``seconds`` is the wait for it.

The change is made right after a scheduled poll: the worst case for polling, and no poll can beat
the event hook to it. Figures (2-core development container, SQLite, 25 teammates): polling 60.05 s,
1 render, 1 scheduled sync; event hook 1.73-1.82 s (3 runs), 1 render, 1 event-hook sync (0.5 s
sandbox batching + 1 s debounce + one incremental sync and re-render + the 0.1 s poll step).
``--delete``: event hook 1.66-1.71 s (3 runs; 1 s of it the gap between deactivation and deletion),
one event-hook sync, held 0; ``--leavers 6`` (above the 20% hold threshold) 1.67 s, held 0; without
the hook 1,859.7 s, the wait for the next hourly full sync (the deletion came 31 minutes before it;
the 30 incremental syncs in between could not see it), held 0.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import SQLModel, col, select

from bench.sync import ADMIN_EMAIL, ADMIN_PASSWORD, connect, sandbox_process
from webapp import create_app
from webapp.db import utcnow
from webapp.delivery import api_tokens, links
from webapp.extensions import db
from webapp.rules import store as rules
from webapp.rules.signals import rules_changed
from webapp.signature_templates import store as templates
from webapp.signature_templates.versions import announce_published, draft_digest, publish
from webapp.signatures.models import SignatureChange
from webapp.sources.okta.service import okta_services
from webapp.sync.hooks import SYNC_EVENT_TYPES
from webapp.sync.models import SyncHold, SyncKind, SyncRun
from webapp.sync.service import run_sync
from webapp.teammates.models import SourceRecord

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = "<p><strong>{{ display_name }}</strong>{% if job_title %} | {{ job_title }}{% endif %}</p>"
SECRET_FIELD = re.compile(r'id="event-hook-secret" type="text" readonly value="([^"]+)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
POLL_SECONDS = 0.1


def free_port() -> int:
    """A loopback port free right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def settings(workdir: Path, base_url: str) -> dict[str, str]:
    """The environment both this process's setup app and the Signet server read."""
    return {
        "DATABASE_URL": f"sqlite:///{workdir / 'freshness.db'}",
        "INSTANCE_PATH": str(workdir / "instance"),
        "SECRET_KEY": secrets.token_urlsafe(48),
        "BASE_URL": base_url,
        "OKTA_ALLOW_LOOPBACK": "true",
        "SYNC_INTERVAL_MINUTES": "1",
        "SYNC_AFTER_CONNECT": "false",
        "LOG_LEVEL": "WARNING",
    }


def setup_app(env: dict[str, str]) -> Flask:
    """The app this process uses to prepare the database (no background jobs here)."""
    app = create_app(
        {**env, "OKTA_ALLOW_LOOPBACK": True, "SCHEDULER_ENABLED": False, "SYNC_AFTER_CONNECT": False}
    )
    with app.app_context():
        SQLModel.metadata.create_all(db.engine)
    return app


def prepare(app: Flask, origin: str, client_id: str, *, event_hook: bool, leavers: int = 1) -> dict[str, Any]:
    """Connect, sync, publish a template as the default, and hand out what the poller needs."""
    connect(app, origin, client_id)
    with app.app_context():
        run = run_sync(app, kind=SyncKind.FULL).run
        assert run is not None and run.error is None, run
        with db.session_scope() as session:
            template = templates.create_template(
                session=session, name="Freshness", html=TEMPLATE, by=ADMIN_EMAIL
            )
            assert template.id is not None
            version = publish(
                session=session,
                template_id=template.id,
                reviewed_digest=draft_digest(template),
                by=ADMIN_EMAIL,
            )
            rules.set_default(session=session, template_id=template.id, admin_email=ADMIN_EMAIL)
            _, token = api_tokens.create_token(
                session=session, name="freshness bench", created_by=ADMIN_EMAIL
            )
        announce_published(app, version)
        rules_changed.send(app, teammate_ids=None)  # as the assignments page does after its commit
        with db.session_scope() as session:
            records = session.exec(
                select(SourceRecord)
                .where(col(SourceRecord.teammate_id).is_not(None), col(SourceRecord.status) == "ACTIVE")
                .order_by(col(SourceRecord.id))
            ).all()
            record = records[3]
            assert record.teammate_id is not None
            # The leavers (--delete): the teammate with the private link first, then the next ones.
            leaving = [record, *[other for other in records[4:] if other.email][: max(0, leavers - 1)]]
            _, link, _ = links.issue_link(
                session=session,
                box=okta_services.secret_box,
                teammate_id=record.teammate_id,
                created_by=ADMIN_EMAIL,
            )
            teammate_id, okta_id = record.teammate_id, record.external_id
    secret = _generate_secret(app) if event_hook else None
    return {
        "leaver_ids": [other.external_id for other in leaving],
        "leaver_teammates": [other.teammate_id for other in leaving],
        "teammate_id": teammate_id,
        "okta_id": okta_id,
        "api_token": token,
        "link": link,
        "secret": secret,
    }


def _generate_secret(app: Flask) -> str:
    """Generate the event hook's secret on the Sync page, as an admin would."""
    client: FlaskClient = app.test_client()

    def csrf() -> dict[str, str]:
        match = CSRF_META.search(client.get("/__no-such-page__").get_data(as_text=True))
        assert match
        return {"X-CSRFToken": match.group(1)}

    login = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    assert client.post("/login", data=login, headers=csrf()).status_code == 303
    response = client.post("/sync/event-hook/secret", data={"header_name": "Authorization"}, headers=csrf())
    match = SECRET_FIELD.search(response.get_data(as_text=True))
    assert response.status_code == 200 and match, response.status_code
    return match.group(1)


def start_signet(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """Signet under gunicorn (one worker, its background jobs on), as `make run` starts it."""
    argv = [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    argv += ["--threads", "4", "--log-level", "warning", "wsgi:app"]
    child_env = {**os.environ, **env, "SCHEDULER_ENABLED": "true"}
    process = subprocess.Popen(argv, cwd=ROOT, env=child_env, stderr=subprocess.DEVNULL)  # noqa: S603
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"Signet stopped while starting (exit code {process.returncode}).")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit("Signet did not start listening within 30 s.")


def register_hook(control: httpx.Client, base_url: str, secret: str) -> None:
    """Okta's side: create the event hook for the user events and verify it against Signet."""
    config = {
        "uri": base_url + "/hooks/okta",
        "authScheme": {"type": "HEADER", "key": "Authorization", "value": secret},
    }
    body = {
        "name": "Signet",
        "events": {"type": "EVENT_TYPE", "items": list(SYNC_EVENT_TYPES)},
        "channel": {"type": "HTTP", "version": "1.0.0", "config": config},
    }
    response = control.post("/event-hooks", json=body)
    assert response.status_code == 200 and response.json()["verificationStatus"] == "VERIFIED", response.text


def wait_for_scheduled_sync(app: Flask, since: datetime, timeout: float = 90.0) -> None:
    """Wait until the server's scheduler has finished an incremental sync begun after `since`.

    The change is then made right after a poll: the worst case for polling (the next one is a
    minute away), and the event hook cannot be beaten to it by a poll.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context(), db.session_scope(writer=False) as session:
            finished = session.exec(
                select(SyncRun).where(col(SyncRun.started_at) >= since, col(SyncRun.finished_at).is_not(None))
            ).first()
        if finished is not None:
            return
        time.sleep(0.2)
    raise SystemExit("The scheduler ran no sync within 90 s.")


def shows(http: httpx.Client, url: str, title: str, headers: dict[str, str] | None = None) -> bool:
    """Whether the page (or API answer) at `url` contains `title`."""
    response = http.get(url, headers=headers or {})
    return response.status_code == 200 and title in response.text


def measure(
    base_url: str, control: httpx.Client, prepared: dict[str, Any], timeout: float
) -> tuple[float, datetime]:
    """Change the title in Okta; seconds until the export API and the private page both show it."""
    title = f"Chief Freshness Officer {secrets.token_hex(3)}"
    api_url = f"{base_url}/api/v1/signatures/{prepared['teammate_id']}"
    page_url = f"{base_url}/s/{prepared['link']}"
    auth = {"Authorization": f"Bearer {prepared['api_token']}"}
    with httpx.Client(timeout=10) as http:
        assert shows(http, page_url, "Freshness") or shows(http, api_url, "", auth), (
            "no signature before the change"
        )
        changed_at = utcnow()
        started = time.monotonic()
        control.patch(f"/users/{prepared['okta_id']}", json={"profile": {"title": title}}).raise_for_status()
        api_done = page_done = False
        while time.monotonic() - started < timeout:
            api_done = api_done or shows(http, api_url, title, auth)
            page_done = page_done or shows(http, page_url, title)
            if api_done and page_done:
                return time.monotonic() - started, changed_at
            time.sleep(POLL_SECONDS)
    raise SystemExit(f"The new title did not show within {timeout:.0f} s (API {api_done}, page {page_done}).")


def measure_delete(
    base_url: str, control: httpx.Client, prepared: dict[str, Any], timeout: float
) -> tuple[float, datetime]:
    """Deactivate then delete the leavers in Okta (1 s apart); seconds until neither the export API
    nor the private page shows a signature for any of them."""
    auth = {"Authorization": f"Bearer {prepared['api_token']}"}
    api_urls = [f"{base_url}/api/v1/signatures/{teammate_id}" for teammate_id in prepared["leaver_teammates"]]
    page_url = f"{base_url}/s/{prepared['link']}"
    with httpx.Client(timeout=10) as http:
        assert all(http.get(url, headers=auth).status_code == 200 for url in api_urls), "no signature before"
        changed_at = utcnow()
        started = time.monotonic()
        body = {"ids": prepared["leaver_ids"], "gap_seconds": 1.0}
        control.post("/users/deactivate-and-delete", json=body).raise_for_status()
        while time.monotonic() - started < timeout:
            if http.get(page_url).status_code == 404 and all(
                http.get(url, headers=auth).status_code == 404 for url in api_urls
            ):
                return time.monotonic() - started, changed_at
            time.sleep(POLL_SECONDS)
    raise SystemExit(f"The leavers still had signatures after {timeout:.0f} s.")


def held_since(app: Flask, since: datetime) -> int:
    """Teammates holds made since `since` keep."""
    with app.app_context(), db.session_scope(writer=False) as session:
        holds = session.exec(select(SyncHold).where(col(SyncHold.created_at) >= since)).all()
        return sum(hold.deactivate_count + hold.remove_count for hold in holds)


def counts(app: Flask, since: datetime) -> tuple[int, dict[str, int]]:
    """Signature changes recorded since `since`, and the sync runs started since, by trigger."""
    with app.app_context(), db.session_scope(writer=False) as session:
        renders = len(
            session.exec(select(SignatureChange).where(col(SignatureChange.changed_at) >= since)).all()
        )
        runs: dict[str, int] = {}
        for run in session.exec(select(SyncRun).where(col(SyncRun.started_at) >= since)).all():
            runs[run.trigger] = runs.get(run.trigger, 0) + 1
    return renders, runs


def main() -> None:
    """Run the benchmark once and print its JSON line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--event-hook", action="store_true", help="Okta calls Signet's event hook too.")
    parser.add_argument("--delete", action="store_true", help="Measure a leaver instead of a title change.")
    parser.add_argument("--leavers", type=int, default=1, help="Users deactivated then deleted (--delete).")
    parser.add_argument("--users", type=int, default=25)
    parser.add_argument("--timeout", type=float, default=180.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, sandbox_process(args.users, None) as (origin, client_id):
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = settings(Path(tmp), base_url)
        control = httpx.Client(base_url=f"{origin}/__sandbox", timeout=30)
        control.patch(
            f"/apps/{client_id}", json={"redirect_uris": [base_url + "/callbacks/okta"]}
        ).raise_for_status()
        app = setup_app(env)
        prepared = prepare(app, origin, client_id, event_hook=args.event_hook, leavers=args.leavers)
        with app.app_context():
            db.dispose()
        started = utcnow()
        signet = start_signet(env, port)
        try:
            if args.event_hook:
                register_hook(control, base_url, prepared["secret"])
            wait_for_scheduled_sync(app, started)
            if args.delete:
                seconds, since = measure_delete(base_url, control, prepared, args.timeout)
            else:
                seconds, since = measure(base_url, control, prepared, args.timeout)
            time.sleep(3.0)  # a late duplicate render (a second sync, say) would show in the count
            renders, runs = counts(app, since)
            held = held_since(app, since)
        finally:
            signet.terminate()
            signet.wait(timeout=30)
    mode = ("delete-" if args.delete else "") + ("event-hook" if args.event_hook else "poll")
    result: dict[str, Any] = {
        "mode": mode,
        "seconds": round(seconds, 2),
        "renders": renders,
        "sync_runs": runs,
    }
    if args.delete:
        result |= {"leavers": len(prepared["leaver_ids"]), "held": held}
    print(json.dumps(result))  # noqa: T201


if __name__ == "__main__":
    main()
