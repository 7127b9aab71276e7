"""Start Signet (and, for the demo, the local Okta sandbox) and stop everything cleanly.

`make run` and `make demo` call this instead of juggling background jobs in the shell: a busy port is
reported before anything starts, Ctrl-C or SIGTERM stops every child within a few seconds, and no
child is left running when one of them dies.

    python scripts/serve.py --host 127.0.0.1 --port 8000 [--sandbox-port 9000 --state-file PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

STOP_GRACE_SECONDS = 5.0
READY_TIMEOUT_SECONDS = 30.0
ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# The access log leaves query strings out: Okta's callback carries the one-time code there.
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'


def port_problem(host: str, port: int) -> str | None:
    """Why `host:port` cannot be listened on right now, or None when it is free."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            return f"{host}:{port} is not free ({error.strerror}). Stop what uses it, or pick another port."
    return None


def wait_until_listening(host: str, port: int, child: subprocess.Popen[bytes], name: str) -> None:
    """Block until `child` accepts connections on `host:port`; fail if it exits first."""
    target = "127.0.0.1" if host in {"0.0.0.0", ""} else host  # noqa: S104 - only a connect target
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise SystemExit(f"{name} stopped while starting (exit code {child.returncode}); see above.")
        try:
            with socket.create_connection((target, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{name} did not start listening on {host}:{port} within {READY_TIMEOUT_SECONDS:.0f} s.")


class Children:
    """The processes started here, each in its own process group so a stop reaches its workers."""

    def __init__(self) -> None:
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        """Start `argv` as a new session (process group) and remember it."""
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603
        self.procs.append((name, proc))
        return proc

    def stop(self) -> None:
        """SIGTERM every child's group, wait up to STOP_GRACE_SECONDS, then SIGKILL what is left."""
        for _, proc in self.procs:
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for _, proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()

    def first_exited(self) -> tuple[str, int] | None:
        """The name and exit code of a child that has stopped, if any."""
        for name, proc in self.procs:
            if proc.poll() is not None:
                return name, proc.returncode
        return None


def _signal_group(proc: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(proc.pid, signum)


def _stop_requested(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--sandbox-port", type=int, default=None, help="Also run the Okta sandbox here.")
    parser.add_argument("--state-file", default=None, help="The sandbox keeps its org and tokens here.")
    parser.add_argument("--users", type=int, default=25)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    """Check ports, start the children, wait for Ctrl-C/SIGTERM or a child's exit, stop everything."""
    args = parse_args(argv)
    ports = [(args.host, args.port)] + ([("127.0.0.1", args.sandbox_port)] if args.sandbox_port else [])
    problems = [problem for host, port in ports if (problem := port_problem(host, port))]
    if problems:
        print("\n".join(problems), file=sys.stderr)  # noqa: T201
        return 2
    env = dict(os.environ, HOST=args.host, PORT=str(args.port))
    children = Children()
    # Installed explicitly: a shell starting us in the background would leave SIGINT ignored.
    signal.signal(signal.SIGTERM, _stop_requested)
    signal.signal(signal.SIGINT, _stop_requested)
    try:
        if args.sandbox_port:
            env["OKTA_ALLOW_LOOPBACK"] = "true"  # the sandbox is plain http on loopback
            sandbox = children.start("The Okta sandbox", _sandbox_argv(args), env)
            wait_until_listening("127.0.0.1", args.sandbox_port, sandbox, "The Okta sandbox")
        signet = children.start("Signet", _gunicorn_argv(args), env)
        wait_until_listening(args.host, args.port, signet, "Signet")
        _print_banner(args)
        while (exited := children.first_exited()) is None:
            time.sleep(0.2)
        print(f"{exited[0]} stopped (exit code {exited[1]}); stopping the rest.", file=sys.stderr)  # noqa: T201
        return 1
    except KeyboardInterrupt:
        print("\nStopping…", file=sys.stderr)  # noqa: T201
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        children.stop()


def _sandbox_argv(args: argparse.Namespace) -> list[str]:
    argv = [
        str(BIN / "python"),
        "-m",
        "okta_sandbox",
        "--host",
        "127.0.0.1",
        "--port",
        str(args.sandbox_port),
    ]
    argv += ["--users", str(args.users), "--seed", "1"]
    argv += ["--redirect-uri", f"http://127.0.0.1:{args.port}/callbacks/okta"]
    if args.state_file:
        argv += ["--state-file", args.state_file]
    return argv


def _gunicorn_argv(args: argparse.Namespace) -> list[str]:
    return [
        str(BIN / "gunicorn"),
        "--workers", "2", "--threads", "4",
        "--bind", f"{args.host}:{args.port}",
        "--access-logfile", "-", "--access-logformat", ACCESS_LOG_FORMAT,
        "wsgi:app",
    ]  # fmt: skip


def _print_banner(args: argparse.Namespace) -> None:
    lines = ["", f"  Signet:       http://{args.host}:{args.port}/   (Ctrl-C to stop)"]
    if args.sandbox_port:
        lines.append(
            f"  Okta domain:  http://127.0.0.1:{args.sandbox_port}   (type this in the setup wizard)"
        )
    print("\n".join([*lines, ""]), flush=True)  # noqa: T201


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
