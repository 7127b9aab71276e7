"""Real gunicorn servers sharing one database (SQLite file, or PostgreSQL as two hosts would): each job
runs in exactly one worker of one server, a killed leader is replaced once its lease expires, a
stopped server releases the lease, and with --preload the master hands the jobs to its workers.

Waits poll for an outcome with a generous deadline; no assertion depends on how long things took."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import free_port, make_test_app
from tests.jobs.test_scheduler import wait_until
from webapp.extensions import db
from webapp.scheduling import store
from webapp.scheduling.lease import SCHEDULER_LEASE
from webapp.scheduling.models import SchedulerLease

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
DEADLINE = 40.0
STARTED = re.compile(r"Background jobs scheduled in process (\d+)")


class Server:
    """`gunicorn tests.jobs.served_app:app` (wsgi.py with a recording job), in its own session."""

    def __init__(self, deployment: Deployment, name: str, *, workers: int, preload: bool = False) -> None:
        self.port = free_port()
        self.log_path = deployment.tmp_path / f"{name}.log"
        env = dict(
            os.environ,
            DATABASE_URL=deployment.database_url,
            INSTANCE_PATH=str(deployment.tmp_path / f"{name}-instance"),
            JOB_LOG=str(deployment.runs_path),
            JOB_EVERY=str(deployment.every),
            LEASE=str(deployment.lease_seconds),
            RENEW=str(deployment.renew_seconds),
            SCHEDULER_ENABLED="true",
        )
        env.pop("FLASK_RUN_FROM_CLI", None)  # set in this process by any earlier `flask` CLI test
        argv = [str(GUNICORN), "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}"]
        argv += ["--graceful-timeout", "10", *(["--preload"] if preload else []), "tests.jobs.served_app:app"]
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    @property
    def pid(self) -> int:
        """The gunicorn master's pid."""
        return self.process.pid

    def output(self) -> str:
        """Everything the server logged so far."""
        return self.log_path.read_text()

    def scheduler_pids(self) -> set[int]:
        """Processes of this server that started a scheduler."""
        return {int(pid) for pid in STARTED.findall(self.output())}

    def get(self, path: str) -> int:
        """GET a page; its status (0 when the server does not answer)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as response:
                return int(response.status)
        except OSError:
            return 0

    def stop(self) -> None:
        """SIGTERM, as a service manager would, and wait for the master to exit."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)

    def kill(self) -> None:
        """SIGKILL the master and its workers: no clean-up at all."""
        os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


class Deployment:
    """Servers sharing one database, and what they recorded."""

    def __init__(self, database_url: str, tmp_path: Path) -> None:
        self.database_url = database_url
        self.tmp_path = tmp_path
        self.runs_path = tmp_path / "runs.log"
        self.runs_path.touch()
        # Long enough that no stall of a busy test machine looks like a dead leader.
        self.every, self.lease_seconds, self.renew_seconds = 0.2, 10.0, 0.2
        self.servers: list[Server] = []
        # The tables, created as the tests' apps are (these tests are about scheduling, not migrations).
        self.app = make_test_app(database_url, tmp_path / "setup-instance")

    def start(self, *, workers: int, preload: bool = False) -> Server:
        """One more gunicorn server."""
        server = Server(self, f"server-{len(self.servers)}", workers=workers, preload=preload)
        self.servers.append(server)
        return server

    def runs(self) -> list[str]:
        """The lease holder of each job run, in order."""
        return self.runs_path.read_text().split()

    def lease(self) -> tuple[SchedulerLease | None, datetime]:
        """The lease row, and the database's clock now."""
        with self.app.app_context(), db.session_scope(writer=False) as session:
            return store.get_lease(session=session, name=SCHEDULER_LEASE), store.database_now(session=session)

    def close(self) -> None:
        """Kill whatever still runs; close the pool."""
        for server in self.servers:
            if server.process.poll() is None:
                server.kill()
        with self.app.app_context():
            db.dispose()


def pid_of(owner: str) -> int:
    """The pid in a lease holder name `host:pid:random`."""
    return int(owner.split(":")[-2])


@pytest.fixture
def deployment(database_url: str, tmp_path: Path) -> Iterator[Deployment]:
    """A database for gunicorn servers; they are killed at the end if still running."""
    made = Deployment(database_url, tmp_path)
    yield made
    made.close()


@pytest.mark.parametrize("workers", [1, 4])
def test_each_job_runs_in_one_worker_and_a_stop_releases_the_lease(
    deployment: Deployment, workers: int
) -> None:
    """Every worker schedules the job, one worker runs it; SIGTERM leaves the lease free at once."""
    server = deployment.start(workers=workers)
    assert wait_until(lambda: len(deployment.runs()) >= 8, DEADLINE), server.output()
    assert wait_until(lambda: len(server.scheduler_pids()) == workers, DEADLINE), server.output()
    lease, now = deployment.lease()
    assert lease is not None and lease.expires_at > now
    assert set(deployment.runs()) == {lease.owner}
    assert pid_of(lease.owner) in server.scheduler_pids() - {server.pid}

    server.stop()
    released, now = deployment.lease()
    assert released is not None and released.owner == lease.owner
    assert released.expires_at <= now
    assert "Traceback" not in server.output()


def test_a_killed_server_is_replaced_by_another_once_its_lease_expires(deployment: Deployment) -> None:
    """Two servers (two hosts' worth) share the database; SIGKILL the leading one and a worker of the
    other takes the lease, not before it expired, and runs the jobs alone from then on."""
    deployment.lease_seconds = 4.0  # waited for once
    first = deployment.start(workers=2)
    assert wait_until(lambda: len(deployment.runs()) >= 3, DEADLINE), first.output()
    second = deployment.start(workers=2)
    assert wait_until(lambda: len(second.scheduler_pids()) == 2, DEADLINE), second.output()
    lease, _ = deployment.lease()
    assert lease is not None and pid_of(lease.owner) in first.scheduler_pids()

    first.kill()
    last_of_first, _ = deployment.lease()
    assert last_of_first is not None and last_of_first.owner == lease.owner
    runs_by_first = len(deployment.runs())
    assert wait_until(lambda: len(deployment.runs()) >= runs_by_first + 3, DEADLINE), second.output()

    taken, _ = deployment.lease()
    assert taken is not None and pid_of(taken.owner) in second.scheduler_pids()
    assert taken.acquired_at >= last_of_first.expires_at
    assert set(deployment.runs()[:runs_by_first]) == {lease.owner}
    assert set(deployment.runs()[runs_by_first:]) == {taken.owner}


def test_with_preload_the_master_hands_the_jobs_to_its_workers(deployment: Deployment) -> None:
    """gunicorn --preload loads the app in the master before forking: the master gives its scheduler
    and lease up at the fork, and a worker runs the jobs (started by its first request)."""
    server = deployment.start(workers=2, preload=True)
    assert wait_until(lambda: server.get("/healthz") == 200, DEADLINE), server.output()
    for _ in range(4):
        server.get("/healthz")
    assert wait_until(lambda: server.scheduler_pids() - {server.pid}, DEADLINE), server.output()
    assert "forks: its children run the background jobs instead" in server.output()

    def a_worker_leads() -> bool:
        lease, _ = deployment.lease()
        return lease is not None and pid_of(lease.owner) != server.pid and lease.owner in deployment.runs()

    assert wait_until(a_worker_leads, DEADLINE), server.output()
    assert pid_of(deployment.runs()[-1]) != server.pid
    server.stop()
