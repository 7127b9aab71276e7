"""Benchmark okta_sandbox at scale: build 100,000 users, serve 200-user pages in-process and over HTTP.

Run: ``.venv/bin/python bench/bench_sandbox.py [--users 100000] [--samples 200]``
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable

import httpx

from okta_sandbox import OktaSandbox, SandboxServer


def _quantiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"median {statistics.median(ordered) * 1000:7.2f} ms   p95 {p95 * 1000:7.2f} ms"


def _rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


def _time(fn: Callable[[], object], samples: int) -> list[float]:
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        fn()
        timings.append(time.perf_counter() - started)
    return timings


def main() -> None:
    """Print the figures quoted in okta_sandbox/README.md."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()

    rss_before = _rss_mib()
    started = time.perf_counter()
    org = OktaSandbox(seed=1, users=args.users)
    build = time.perf_counter() - started
    print(f"build {org.user_count():,} users: {build:.2f} s  (RSS +{_rss_mib() - rss_before:.0f} MiB)")
    # tracemalloc slows the build ~10x, so it is measured on a separate, smaller build.
    tracemalloc.start()
    OktaSandbox(seed=1, users=args.users // 10)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"tracemalloc peak for {args.users // 10:,} users: {peak / 2**20:.0f} MiB")

    ids = list(org.iter_user_ids())
    rng = random.Random(0)

    def cursor() -> str:
        return ids[rng.randrange(len(ids) - 250)]

    cold = _time(lambda: org.users_page(limit=200, after=cursor()).json_bytes(), args.samples)
    print(f"in-process page (200, cold: serialise) : {_quantiles(cold)}")
    fixed = ids[1000]
    org.users_page(limit=200, after=fixed)
    warm = _time(lambda: org.users_page(limit=200, after=fixed).json_bytes(), args.samples)
    print(f"in-process page (200, warm: cached)    : {_quantiles(warm)}")

    with SandboxServer(org) as server, httpx.Client(base_url=server.origin) as http:
        headers = {"Authorization": f"Bearer {org.issue_tokens_for_tests()['access_token']}"}
        org.set_rate_limit("users_list", 10**9)

        def fetch(after: str) -> None:
            response = http.get("/api/v1/users", params={"limit": 200, "after": after}, headers=headers)
            assert response.status_code == 200 and len(response.json()) == 200

        fetch(fixed)
        http_cold = _time(lambda: fetch(cursor()), args.samples)
        print(f"HTTP page (200, cold, incl. client parse): {_quantiles(http_cold)}")
        http_warm = _time(lambda: fetch(fixed), args.samples)
        print(f"HTTP page (200, warm, incl. client parse): {_quantiles(http_warm)}")

        def search() -> None:
            response = http.get(
                "/api/v1/users",
                params={"search": 'lastUpdated gt "2024-12-01T00:00:00.000Z" and status eq "ACTIVE"'},
                headers=headers,
            )
            assert response.status_code == 200

        searches = _time(search, max(5, args.samples // 20))
        print(f"HTTP search page (lastUpdated+status)  : {_quantiles(searches)}")

        def walk() -> int:
            url: str | None = "/api/v1/users"
            count = 0
            while url:
                response = http.get(url, headers=headers)
                count += len(response.json())
                url = response.links.get("next", {}).get("url")
            return count

        started = time.perf_counter()
        total = walk()
        elapsed = time.perf_counter() - started
        print(f"HTTP full walk via next links          : {total:,} users in {elapsed:.2f} s")

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"max RSS of this process: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
