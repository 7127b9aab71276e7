"""Benchmark okta_sandbox at scale: build 100,000 users, serve 200-user pages in-process and over HTTP.

Run: ``.venv/bin/python bench/bench_sandbox.py [--users 100000] [--samples 200]``
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

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
    org = _build(args.users)
    ids = list(org.iter_user_ids())
    _in_process(org, ids, args.samples)
    _over_http(org, ids, args.samples)
    _state_file(org)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"max RSS of this process: {rss:.0f} MiB")


def _build(users: int) -> OktaSandbox:
    rss_before = _rss_mib()
    started = time.perf_counter()
    org = OktaSandbox(seed=1, users=users)
    build = time.perf_counter() - started
    print(f"build {org.user_count():,} users: {build:.2f} s  (RSS +{_rss_mib() - rss_before:.0f} MiB)")
    # tracemalloc slows the build ~10x, so it is measured on a separate, smaller build.
    tracemalloc.start()
    OktaSandbox(seed=1, users=users // 10)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"tracemalloc peak for {users // 10:,} users: {peak / 2**20:.0f} MiB")
    return org


def _in_process(org: OktaSandbox, ids: list[str], samples: int) -> None:
    rng = random.Random(0)
    cold = _time(
        lambda: org.users_page(limit=200, after=ids[rng.randrange(len(ids) - 250)]).json_bytes(), samples
    )
    print(f"in-process page (200, cold: serialise) : {_quantiles(cold)}")
    fixed = ids[1000]
    org.users_page(limit=200, after=fixed)
    warm = _time(lambda: org.users_page(limit=200, after=fixed).json_bytes(), samples)
    print(f"in-process page (200, warm: cached)    : {_quantiles(warm)}")


def _over_http(org: OktaSandbox, ids: list[str], samples: int) -> None:
    rng = random.Random(1)
    with SandboxServer(org) as server, httpx.Client(base_url=server.origin) as http:
        headers = {"Authorization": f"Bearer {org.issue_tokens_for_tests()['access_token']}"}
        org.set_rate_limits({"users_list": 10**9})

        def fetch(after: str) -> None:
            response = http.get("/api/v1/users", params={"limit": 200, "after": after}, headers=headers)
            assert response.status_code == 200 and len(response.json()) == 200

        fixed = ids[1000]
        fetch(fixed)
        http_cold = _time(lambda: fetch(ids[rng.randrange(len(ids) - 250)]), samples)
        print(f"HTTP page (200, cold, incl. client parse): {_quantiles(http_cold)}")
        http_warm = _time(lambda: fetch(fixed), samples)
        print(f"HTTP page (200, warm, incl. client parse): {_quantiles(http_warm)}")
        search = {"search": 'lastUpdated gt "2024-12-01T00:00:00.000Z" and status eq "ACTIVE"'}
        searches = _time(
            lambda: http.get("/api/v1/users", params=search, headers=headers), max(5, samples // 20)
        )
        print(f"HTTP search page (lastUpdated+status)  : {_quantiles(searches)}")
        started = time.perf_counter()
        total = _walk(http, headers)
        elapsed = time.perf_counter() - started
        print(f"HTTP full walk via next links          : {total:,} users in {elapsed:.2f} s")


def _walk(http: httpx.Client, headers: dict[str, str]) -> int:
    url: str | None = "/api/v1/users"
    count = 0
    while url:
        response = http.get(url, headers=headers)
        count += len(response.json())
        url = response.links.get("next", {}).get("url")
    return count


def _state_file(org: OktaSandbox) -> None:
    """How long one --state-file save of this org takes, and how big the file is."""
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        path = org.save_state(Path(directory) / "org.json")
        elapsed = time.perf_counter() - started
        size = path.stat().st_size / 2**20
        print(f"state file save ({org.user_count():,} users): {elapsed:.2f} s, {size:.0f} MiB")
        started = time.perf_counter()
        OktaSandbox(state_file=path).close()
        print(f"state file load                       : {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
