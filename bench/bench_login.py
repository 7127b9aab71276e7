"""Sign-in under load: N concurrent clients doing GET /login + POST /login against a real gunicorn.

Starts gunicorn (2 workers x 4 threads, like `make run`) on a free loopback port with a temporary
instance folder, migrates the database, creates an admin, then runs the clients for D seconds and
prints sign-ins per second, latency percentiles and every error (a 500, a timeout...).

Run: ``.venv/bin/python bench/bench_login.py [--database-url URL] [--clients 50] [--seconds 30]``

With PostgreSQL, point `--database-url` at a database of its own: the bench migrates it and adds
one admin with a random email per run (nothing is deleted). `--app-root` serves another checkout
(e.g. `git worktree add /tmp/before <commit>`) to compare before and after a change.

Measured on a 2-CPU VM (50 clients x 30 s, gunicorn 2x4; scrypt makes it CPU-bound, so latency is
mostly queueing). Before sign-in stopped holding the write lock across the hash: SQLite 7.5
sign-ins/s, POST p50 3.6 s / p95 6.8 s, 13 errors (500 "database is locked"); PostgreSQL 7.2/s,
p50 2.9 s / p95 7.7 s, 0 errors. After: SQLite 8.5/s, p50 2.9 s / p95 7.4 s, 0 errors; PostgreSQL
7.2/s, p50 3.1 s / p95 7.1 s, 0 errors.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "Bench-Correct-Horse-42"  # noqa: S105 - the throwaway bench admin
MAX_CLIENTS = 200
MAX_SECONDS = 300


@dataclass
class Results:
    """What every client saw, merged under a lock."""

    sign_ins: int = 0
    get_latencies: list[float] = field(default_factory=list)
    post_latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _run_flask(args: list[str], *, env: dict[str, str], app_root: Path, stdin: str = "") -> None:
    command = [sys.executable, "-m", "flask", "--app", "wsgi", *args]
    result = subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        command, cwd=app_root, env=env, input=stdin, capture_output=True, text=True, timeout=120
    )
    if result.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn exited during start-up")
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz in time")


def _client_loop(base_url: str, email: str, deadline: float, results: Results) -> None:
    with httpx.Client(base_url=base_url, timeout=30, follow_redirects=False) as http:
        while time.monotonic() < deadline:
            http.cookies.clear()
            try:
                started = time.perf_counter()
                page = http.get("/login")
                got = time.perf_counter()
                match = CSRF_INPUT.search(page.text)
                if page.status_code != 200 or not match:
                    with results.lock:
                        results.errors[f"GET /login {page.status_code}"] += 1
                    continue
                data = {"csrf_token": match.group(1), "email": email, "password": PASSWORD}
                answer = http.post("/login", data=data)
                done = time.perf_counter()
            except httpx.HTTPError as error:
                with results.lock:
                    results.errors[type(error).__name__] += 1
                continue
            with results.lock:
                results.get_latencies.append(got - started)
                if answer.status_code == 303:
                    results.sign_ins += 1
                    results.post_latencies.append(done - got)
                else:
                    results.errors[f"POST /login {answer.status_code}"] += 1


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000 if ordered else float("nan")


def _report(results: Results, seconds: float, log_path: Path) -> None:
    posts = results.post_latencies
    print(f"sign-ins:        {results.sign_ins} in {seconds:.1f} s = {results.sign_ins / seconds:.1f}/s")
    requests_done = len(results.get_latencies) + len(posts)
    print(f"requests:        {requests_done / seconds:.1f}/s (GET /login + POST /login)")
    if posts:
        print(
            f"POST /login:     p50 {_percentile(posts, 0.5):.0f} ms   p95 {_percentile(posts, 0.95):.0f} ms"
            f"   max {max(posts) * 1000:.0f} ms"
        )
    gets = results.get_latencies
    if gets:
        print(f"GET /login:      p50 {_percentile(gets, 0.5):.0f} ms   p95 {_percentile(gets, 0.95):.0f} ms")
    total_errors = sum(results.errors.values())
    print(f"errors:          {total_errors}" + (f"  {dict(results.errors)}" if total_errors else ""))
    log = log_path.read_text(errors="replace")
    locked = log.count("database is locked")
    tracebacks = log.count("Traceback")
    print(f"server log:      {tracebacks} tracebacks, {locked} 'database is locked'")


def _run_clients(base_url: str, email: str, clients: int, seconds: float) -> tuple[Results, float]:
    results = Results()
    started = time.monotonic()
    deadline = started + seconds
    threads = [
        threading.Thread(target=_client_loop, args=(base_url, email, deadline, results))
        for _ in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.monotonic() - started


@contextmanager
def _gunicorn(args: argparse.Namespace, env: dict[str, str], log_path: Path) -> Iterator[None]:
    """gunicorn like `make run` (workers x threads) on the loopback port of BASE_URL, until exit."""
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    command = [gunicorn, "--workers", str(args.workers), "--threads", str(args.threads), "--timeout", "60"]
    command += ["--bind", urlsplit(env["BASE_URL"]).netloc, "--no-control-socket", "wsgi:app"]
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, cwd=args.app_root, env=env, stdout=log, stderr=log)  # noqa: S603
        try:
            _wait_until_up(env["BASE_URL"], server)
            yield
        finally:
            server.terminate()
            server.wait(timeout=30)


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--database-url", default="", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--app-root", type=Path, default=REPO_ROOT, help="checkout to serve (a worktree)")
    args = parser.parse_args()
    if not 1 <= args.clients <= MAX_CLIENTS or not 0 < args.seconds <= MAX_SECONDS:
        raise SystemExit(f"--clients must be 1..{MAX_CLIENTS} and --seconds 1..{MAX_SECONDS}")
    return args


def main() -> None:
    """Run the load and print the figures."""
    args = _parse_args()
    with tempfile.TemporaryDirectory(prefix="signet-bench-") as temp:
        env = {
            **os.environ,
            "PYTHONPATH": str(args.app_root.resolve()),
            "INSTANCE_PATH": str(Path(temp) / "instance"),
            "DATABASE_URL": args.database_url or f"sqlite:///{Path(temp) / 'bench.db'}",
            "BASE_URL": f"http://127.0.0.1:{_free_port()}",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "LOG_LEVEL": "WARNING",
        }
        email = f"bench-{secrets.token_hex(4)}@bench.example"
        _run_flask(["migrate"], env=env, app_root=args.app_root)
        password_input = f"{PASSWORD}\n{PASSWORD}\n"
        _run_flask(["create-admin", email], env=env, app_root=args.app_root, stdin=password_input)
        log_path = Path(temp) / "gunicorn.log"
        with _gunicorn(args, env, log_path):
            dialect = env["DATABASE_URL"].split(":", 1)[0]
            shape = f"gunicorn {args.workers}x{args.threads}, {dialect}"
            print(f"{args.clients} clients x {args.seconds:.0f} s, {shape}")
            results, elapsed = _run_clients(env["BASE_URL"], email, args.clients, args.seconds)
        _report(results, elapsed, log_path)
        if sum(results.errors.values()):
            sys.exit(1)


if __name__ == "__main__":
    main()
