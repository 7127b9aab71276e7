"""Benchmark the Okta sync end to end: a sandbox org in its own process, a throwaway Signet app,
a real connect, then a full sync, a no-change incremental sync and a 10-change incremental sync.

Run: ``.venv/bin/python -m bench.sync --users 10000 --latency-ms 50 [--rate-limit 50]
[--database-url postgresql+psycopg://...]``

Prints one JSON line: users, requests, full_sync_s, network_floor_s (requests x latency),
incremental_noop_s, incremental_noop_requests (and the no-op's time beyond the latency, and outside
Okta calls), incremental_10_s, incremental_10_requests, incremental_10_teammates_touched,
peak_rss_mb (this process: Signet's side), and with ``--rate-limit R``, windows (the rate-limit
minutes the full sync's listing spread over) and windows_allowed, ceil(requests / (R x (1 -
reserve))) + 1. The sandbox's JSON cache is warmed first (an unmeasured listing) unless ``--cold``.

``--database-url`` must name a database you can throw away: Signet's tables are dropped and
created in it. Without it, a temporary SQLite file is used. Without ``--rate-limit`` the sandbox's
users listing is not rate limited (the figures then show Signet's own overhead).

Figures (2-core development container, shared with other work; L = 50 ms; floor = requests x L):

- SQLite, 10,000 users, warm sandbox: full 3.21 s for a 2.60 s floor (1.21-1.24); no-op incremental
  1 request, 0.08-0.09 s (32-43 ms beyond L); 10 changes 1 request, 10 teammates touched; 130 MB.
- SQLite, 10,000 users, --cold: 3.56-3.72 s (1.37-1.43): the sandbox serialises ~10 ms a page.
- SQLite, 100,000 users: 31.0 s for 25.1 s (1.23); no-op 0.20 s, 62 ms of it outside Okta calls
  (the rest is the sandbox scanning 100,000 users for the filter); 137 MB.
- PostgreSQL, 10,000 users: 3.22-3.24 s (1.24-1.25); no-op 0.086 s; 139 MB.
- PostgreSQL, 100,000 users: 31.4 s (1.25); no-op 0.17 s, 43 ms outside Okta calls; 145 MB.
- --rate-limit 50, 10,000 users: 61.5 s (SQLite) and 62.0 s (PostgreSQL) in 2 windows (3 allowed),
  one wait of ~58 s, no error.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import re
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import SQLModel, col, select

from okta_sandbox.testing import read_banner
from tests.okta_flow import drive_okta
from webapp import create_app
from webapp.accounts import store as accounts
from webapp.extensions import db
from webapp.sources.okta.api import OktaApi
from webapp.sync.models import SyncKind, SyncRun
from webapp.sync.service import okta_source, run_sync, sync_options
from webapp.teammates import store as teammates
from webapp.teammates.models import SourceRecord

ADMIN_EMAIL = "bench@signet.example"
ADMIN_PASSWORD = "Correct-Horse-42-Battery-Staple"  # noqa: S105 - a throwaway local account
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
USERS_PATH = "/api/v1/users"
UNLIMITED = 1_000_000


@contextmanager
def sandbox_process(users: int, rate_limit: int | None) -> Iterator[tuple[str, str]]:
    """`python -m okta_sandbox` in its own process; yields (origin, SPA client id)."""
    command = [sys.executable, "-m", "okta_sandbox", "--port", "0", "--no-access-log", "--users", str(users)]
    # Without --rate-limit the listing is not limited at all, so the figures show Signet's own
    # overhead (Okta's default 600 a minute would pace a 100,000-user sync over windows).
    command += ["--rate-limit", f"users_list={rate_limit if rate_limit is not None else UNLIMITED}"]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        banner = read_banner(process)
        origin = re.search(r"listening on (\S+)", banner).group(1)  # type: ignore[union-attr]
        client_id = re.search(r"SPA client id\s*:\s*(\S+)", banner).group(1)  # type: ignore[union-attr]
        yield origin, client_id
    finally:
        process.terminate()
        process.wait(timeout=30)


def signet_app(database_url: str | None, workdir: Path) -> Flask:
    """A throwaway Signet app with empty tables (SQLite in `workdir` unless a URL is given)."""
    url = database_url or f"sqlite:///{workdir / 'bench.db'}"
    app = create_app(
        {
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(workdir / "instance"),
            "OKTA_ALLOW_LOOPBACK": True,
            "SCHEDULER_ENABLED": False,
            "SYNC_AFTER_CONNECT": False,  # the bench starts (and times) its syncs itself
        }
    )
    with app.app_context():
        SQLModel.metadata.drop_all(db.engine)
        SQLModel.metadata.create_all(db.engine)
    return app


def _csrf(client: FlaskClient) -> dict[str, str]:
    page = client.get("/__no-such-page__")  # every page, a 404 too, carries the token
    match = CSRF_META.search(page.get_data(as_text=True))
    assert match, "every page carries the csrf-token meta tag"
    return {"X-CSRFToken": match.group(1)}


def connect(app: Flask, origin: str, client_id: str) -> None:
    """Create an admin, sign in, fill the wizard and connect Okta through the real OAuth flow."""
    with app.app_context(), db.session_scope() as session:
        accounts.create_admin(session=session, email=ADMIN_EMAIL, password=ADMIN_PASSWORD)
    client = app.test_client()
    signed_in = client.post(
        "/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, headers=_csrf(client)
    )
    assert signed_in.status_code == 303, signed_in.status_code
    for step, data in ((7, {"client_id": client_id}), (8, {"domain": origin})):
        response = client.post(f"/setup/okta/steps/{step}", data=data, headers=_csrf(client))
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
    start = client.get("/setup/okta/connect")
    assert start.status_code == 302, start.get_data(as_text=True)[:500]
    outcome = drive_okta(start.headers["Location"])
    callback = client.get(outcome.path_and_query)
    assert callback.status_code == 200, callback.get_data(as_text=True)[:500]


class Control:
    """The sandbox's control API (it runs in another process)."""

    def __init__(self, origin: str) -> None:
        self.http = httpx.Client(base_url=f"{origin}/__sandbox", timeout=60)

    def add_latency(self, seconds: float) -> None:
        """Every Management API request waits `seconds` before it is answered."""
        fault = {"kind": "latency", "count": 10**9, "latency_seconds": seconds, "path_prefix": "/api/v1/"}
        self.http.post("/faults", json=fault).raise_for_status()

    def clear_requests(self) -> None:
        """Forget the request log."""
        self.http.delete("/requests").raise_for_status()

    def requests(self, path: str = USERS_PATH) -> list[dict[str, Any]]:
        """Logged requests to `path` (the log keeps the last 10,000)."""
        response = self.http.get("/requests", params={"path": path})
        response.raise_for_status()
        logged: list[dict[str, Any]] = response.json()["requests"]
        return logged

    def change_users(self, external_ids: list[str]) -> None:
        """Retitle these users."""
        for index, external_id in enumerate(external_ids):
            self.http.patch(f"/users/{external_id}", json={"profile": {"title": f"Bench title {index}"}})


def some_active_users(app: Flask, count: int) -> list[str]:
    """The Okta ids of `count` active teammates (read from Signet: listing the org would cost memory)."""
    with app.app_context(), db.session_scope(writer=False) as session:
        statement = (
            select(SourceRecord.external_id)
            .where(col(SourceRecord.active), col(SourceRecord.removed_at).is_(None))
            .order_by(col(SourceRecord.id))
            .limit(count)
        )
        return list(session.exec(statement).all())


class HttpTime:
    """Wall-clock time spent inside Okta API calls (the network and Okta's own work), so Signet's
    share of a sync can be told apart from the sandbox's (e.g. its scan of 100,000 users for a filter)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        original = OktaApi.get

        def timed_get(api: OktaApi, *args: Any, **kwargs: Any) -> httpx.Response:
            started = time.perf_counter()
            try:
                return original(api, *args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        OktaApi.get = timed_get  # type: ignore[method-assign]


def warm_sandbox(app: Flask) -> None:
    """List every user once, unmeasured: the sandbox serialises each user on its first serve (10-30 ms
    a page), which is its own cost, not Signet's (`--cold` skips this)."""
    with app.app_context():
        source = okta_source(options=sync_options(app))
        assert source is not None
        for _page in source.iter_pages():
            pass


def timed_sync(app: Flask, kind: SyncKind, http: HttpTime) -> tuple[SyncRun, float, float]:
    """Run one sync; (its run, wall-clock seconds, seconds of it inside Okta API calls)."""
    with app.app_context():
        http.seconds = 0.0
        started = time.perf_counter()
        outcome = run_sync(app, kind=kind)
        elapsed = time.perf_counter() - started
    if outcome.run is None or outcome.run.error:
        raise SystemExit(f"sync failed: {outcome.skipped or (outcome.run.error if outcome.run else '')}")
    return outcome.run, elapsed, http.seconds


def changes_in(app: Flask, run: SyncRun) -> int:
    """History rows a run wrote (the teammates it touched)."""
    with app.app_context(), db.session_scope(writer=False) as session:
        return len(teammates.changes_in_run(session=session, sync_run_id=run.id or 0, limit=10_000))


def main() -> None:
    """Run the benchmark and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000, help="teammates in the sandbox org")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="added latency per Okta API request")
    parser.add_argument("--rate-limit", type=int, default=None, help="users_list requests per minute")
    parser.add_argument(
        "--database-url", default=None, help="a database to throw away (default: temp SQLite)"
    )
    parser.add_argument("--cold", action="store_true", help="don't warm the sandbox's JSON cache first")
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    latency = args.latency_ms / 1000.0
    http = HttpTime()
    workdir = tempfile.TemporaryDirectory(prefix="signet-bench-")
    with workdir as tmp, sandbox_process(args.users, args.rate_limit) as (origin, client_id):
        app = signet_app(args.database_url, Path(tmp))
        connect(app, origin, client_id)
        control = Control(origin)
        if not args.cold:
            warm_sandbox(app)
        control.add_latency(latency)
        reserve = float(app.extensions["signet_settings"].SYNC_RATE_LIMIT_RESERVE)
        if args.rate_limit is not None:
            time.sleep(max(0.0, 61 - time.time() % 60))  # a fresh window: connecting and warming used some
        control.clear_requests()
        full, full_s, _ = timed_sync(app, SyncKind.FULL, http)
        listing = control.requests()
        windows = len({entry["at"][:16] for entry in listing})
        noop, noop_s, noop_http = timed_sync(app, SyncKind.INCREMENTAL, http)
        control.change_users(some_active_users(app, 10))
        ten, ten_s, _ = timed_sync(app, SyncKind.INCREMENTAL, http)
        result: dict[str, Any] = {
            "rate_limit_waits": full.rate_limit_waits,
            "users": full.users_processed,
            "requests": full.api_requests,
            "pages": full.pages,
            "full_sync_s": round(full_s, 3),
            "network_floor_s": round(full.api_requests * latency, 3),
            "full_over_floor": round(full_s / (full.api_requests * latency), 3) if latency else None,
            "incremental_noop_s": round(noop_s, 3),
            "incremental_noop_requests": noop.api_requests,
            "incremental_noop_beyond_latency_ms": round((noop_s - noop.api_requests * latency) * 1000, 1),
            "incremental_noop_outside_okta_calls_ms": round((noop_s - noop_http) * 1000, 1),
            "incremental_10_s": round(ten_s, 3),
            "incremental_10_requests": ten.api_requests,
            "incremental_10_teammates_touched": changes_in(app, ten),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "database": "postgresql" if args.database_url else "sqlite",
            "latency_ms": args.latency_ms,
            "sandbox": "cold" if args.cold else "warm",
        }
        if args.rate_limit is not None:
            result["rate_limit"] = args.rate_limit
            result["windows"] = windows
            result["windows_allowed"] = math.ceil(len(listing) / (args.rate_limit * (1 - reserve))) + 1
            result["rate_limit_wait_s"] = full.rate_limit_wait_seconds
        with app.app_context():
            db.dispose()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
