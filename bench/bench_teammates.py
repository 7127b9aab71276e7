"""The Teammates page at scale: 10,000 teammates (from the tests' factory), each view rendered many times.

Builds a fresh database (a temporary SQLite file, or `--database-url`, whose tables it creates and
fills), signs in through the real login form, then times whole requests through Flask's test client
(routing, queries, template, no network): the full page, the htmx fragment, a search, filters,
sorts, the last page and one teammate's page. Prints the median and p95 of each.

Run: ``.venv/bin/python bench/bench_teammates.py [--teammates 10000] [--samples 30] [--database-url URL]``

Measured on the project's 2-core machine (10,000 teammates, 30 samples, medians, SQLite /
PostgreSQL 15): full page 55 / 104 ms (its department and title selects read every record's JSON:
~35 / ~60 ms), htmx fragment 18 / 43 ms, search 20 / 25 ms, status filter 9 / 14 ms, department
filter 33 / 35 ms, sort by department 29 / 61 ms, sort by last change 18 / 47 ms, page 200 of 200
40 / 40 ms, one teammate 4 / 7 ms. Before ANALYZE, PostgreSQL planned a search as a nested loop
over an index scan per row (690 ms); autovacuum analyzes within a minute of the first sync.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

# The factory lives with the tests (one definition of "a synced teammate"); the bench reuses it.
REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from sqlmodel import SQLModel, select  # noqa: E402

from tests import factories  # noqa: E402
from tests.teammates.factories import gen_many_teammates  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.teammates.models import Teammate  # noqa: E402

VARIANTS = (
    ("full page", "/teammates/", False),
    ("fragment (htmx)", "/teammates/", True),
    ("search 'person 01'", "/teammates/?q=person+01", True),
    ("search, no match", "/teammates/?q=nobody+at+all", True),
    ("status=inactive", "/teammates/?status=inactive", True),
    ("department=Sales", "/teammates/?department=Sales", True),
    ("department+title", "/teammates/?department=Sales&title=Analyst", True),
    ("sort department desc", "/teammates/?sort=department&dir=desc", True),
    ("sort last changed", "/teammates/?sort=changed", True),
    ("last page (200)", "/teammates/?page=200", True),
)


def _quantiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"median {statistics.median(ordered) * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms"


def main() -> None:
    """Fill the database, then time each variant."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teammates", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": secrets.token_urlsafe(48),
                "DATABASE_URL": url,
                "INSTANCE_PATH": tmp,
            }
        )
        with app.app_context():
            SQLModel.metadata.create_all(db.engine)
            started = time.perf_counter()
            with db.session_scope() as session:
                factories.gen_admin(session)
                gen_many_teammates(session, args.teammates)
            elapsed = time.perf_counter() - started
            # Planner statistics, as the database keeps them once it has seen the data (PostgreSQL's
            # autovacuum analyzes a table within a minute of a large change; SQLite's optimizer uses
            # them too). Without them, PostgreSQL may plan a search as a slow nested loop.
            with db.engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
                connection.commit()
            print(f"{args.teammates:,} teammates created in {elapsed:.1f} s ({url.split(':')[0]})")
        client = app.test_client()
        token_page = client.get("/login").get_data(as_text=True)
        token = token_page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        login = client.post(
            "/login",
            data={"email": factories.ADMIN_EMAIL, "password": factories.ADMIN_PASSWORD, "csrf_token": token},
        )
        assert login.status_code == 303, login.status_code
        with app.app_context():
            some_id = db.session.exec(select(Teammate.id).limit(1)).one()
        variants = [*VARIANTS, ("one teammate", f"/teammates/{some_id}", False)]
        for label, path, fragment in variants:
            headers = {"HX-Request": "true"} if fragment else {}
            client.get(path, headers=headers)  # warm-up (template compile, statement cache)
            samples = []
            for _ in range(args.samples):
                begin = time.perf_counter()
                response = client.get(path, headers=headers)
                samples.append(time.perf_counter() - begin)
                assert response.status_code == 200, (path, response.status_code)
            print(f"  {label:<22} {_quantiles(samples)}   {len(response.data) / 1024:5.1f} KiB")


if __name__ == "__main__":
    main()
