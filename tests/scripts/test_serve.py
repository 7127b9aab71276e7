"""`make run` / `make demo` (scripts/serve.py): a busy port is reported first, and Ctrl-C or SIGTERM
stops Signet and the sandbox within a few seconds, leaving nothing behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVE = ROOT / "scripts" / "serve.py"


def _is_listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.3):
            return True
    except OSError:
        return False


def _wait(predicate: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def _start_demo(tmp_path: Path, app_port: int, sandbox_port: int) -> subprocess.Popen[str]:
    env = dict(
        os.environ,
        INSTANCE_PATH=str(tmp_path / "instance"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.db'}",
    )
    env.pop("BASE_URL", None)
    argv = [sys.executable, str(SERVE), "--port", str(app_port), "--sandbox-port", str(sandbox_port)]
    argv += ["--state-file", str(tmp_path / "sandbox-state.json"), "--users", "3"]
    return subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_demo_stops_both_servers_promptly(tmp_path: Path, signum: int) -> None:
    """Ctrl-C (SIGINT) and SIGTERM stop Signet and the sandbox within a few seconds, exit 0."""
    app_port, sandbox_port = free_port(), free_port()
    demo = _start_demo(tmp_path, app_port, sandbox_port)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(demo.stdout or ()), daemon=True)
    reader.start()
    banner = f"Okta domain:  http://127.0.0.1:{sandbox_port}"
    try:
        # Stop it as an admin would: once the banner says it is ready (not the instant the port
        # opens, which is before serve.py itself has noticed).
        assert _wait(lambda: any(banner in line for line in lines), 40), "never started"
        assert _is_listening(app_port) and _is_listening(sandbox_port)
        started = time.monotonic()
        demo.send_signal(signum)
        demo.wait(timeout=15)
        assert time.monotonic() - started < 8
    finally:
        if demo.poll() is None:
            demo.kill()
    reader.join(timeout=5)
    output = "".join(lines)
    assert demo.returncode == 0, output
    assert "Segmentation fault" not in output
    assert f"Okta domain:  http://127.0.0.1:{sandbox_port}" in output
    assert not _is_listening(app_port) and not _is_listening(sandbox_port)


def test_busy_port_is_reported_before_anything_starts(tmp_path: Path) -> None:
    """When Signet's port is taken, the demo says so and starts neither server (no banner)."""
    app_port, sandbox_port = free_port(), free_port()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", app_port))
        squatter.listen()
        demo = _start_demo(tmp_path, app_port, sandbox_port)
        output, _ = demo.communicate(timeout=30)
    assert demo.returncode == 2
    assert f"127.0.0.1:{app_port} is not free" in output
    assert "Signet:" not in output
    assert not _is_listening(sandbox_port)
