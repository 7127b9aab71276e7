"""The app factory, settings and secret-key handling."""

from __future__ import annotations

import errno
import importlib
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.core.fake_servers import silent_server
from webapp import StartupError, create_app
from webapp.settings import WeakSecretKeyError


def test_secret_key_is_generated_once_and_kept_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without SECRET_KEY, the first start writes a strong key (mode 0600) that later starts reuse."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = {"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"}
    first = create_app(config).config["SECRET_KEY"]
    second = create_app(config).config["SECRET_KEY"]
    key_file = tmp_path / "secret_key"
    assert first == second == key_file.read_text().strip()
    assert len(first) >= 32
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


@pytest.mark.parametrize(
    "weak", ["dev", "changeme", "short-but-not-empty", "a" * 40, "abababababababababababababababab"]
)
def test_weak_secret_key_is_refused(tmp_path: Path, weak: str) -> None:
    """An obviously weak SECRET_KEY stops the app from starting, with a message saying why."""
    with pytest.raises(WeakSecretKeyError):
        create_app({"SECRET_KEY": weak, "INSTANCE_PATH": str(tmp_path)})


def test_secret_key_from_environment_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SECRET_KEY from the environment wins over the generated file."""
    key = "k3y-from-the-environment-Aa1-0123456789xyz"
    monkeypatch.setenv("SECRET_KEY", key)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SECRET_KEY"] == key
    assert not (tmp_path / "secret_key").exists()


def test_default_database_is_sqlite_in_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no DATABASE_URL the database is a SQLite file in the instance folder."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'signet.db'}"


def test_https_base_url_makes_cookies_secure(tmp_path: Path) -> None:
    """An https BASE_URL turns on the Secure flag for session cookies; http leaves it off."""
    secure = create_app({"INSTANCE_PATH": str(tmp_path), "BASE_URL": "https://signet.acme.example"})
    plain = create_app({"INSTANCE_PATH": str(tmp_path), "BASE_URL": "http://127.0.0.1:8000"})
    assert secure.config["SESSION_COOKIE_SECURE"] is True
    assert plain.config["SESSION_COOKIE_SECURE"] is False


def test_bad_base_url_is_refused(tmp_path: Path) -> None:
    """A BASE_URL that is not an absolute http(s) URL is refused at start-up."""
    with pytest.raises(ValueError, match="BASE_URL"):
        create_app({"INSTANCE_PATH": str(tmp_path), "BASE_URL": "signet.acme.example"})


def test_private_file_is_created_once_under_a_race(tmp_path: Path) -> None:
    """Many threads creating the same key file at once all read one complete value."""
    import secrets
    import threading

    from webapp.instance_files import read_or_create_private_file

    target = tmp_path / "race_key"
    barrier = threading.Barrier(8)
    seen: list[bytes] = []

    def create() -> None:
        barrier.wait()
        seen.append(read_or_create_private_file(target, lambda: secrets.token_hex(32).encode()))

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(seen)) == 1 and len(seen[0]) == 64
    assert sorted(p.name for p in tmp_path.iterdir()) == ["race_key"]


def test_instance_folder_and_its_files_are_private(tmp_path: Path) -> None:
    """The instance folder is 0700 (tightened if it was wider), and the database and key files 0600."""
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    instance.chmod(0o755)
    app = create_app({"INSTANCE_PATH": str(instance)})
    assert app.test_client().get("/healthz").status_code == 200  # the database is written to
    assert _mode(instance) == 0o700
    for name in ("signet.db", "secret_key", "encryption_key"):
        assert _mode(instance / name) == 0o600, name
    for companion in instance.glob("signet.db-*"):  # SQLite's WAL and shared memory
        assert _mode(companion) == 0o600, companion.name


def test_key_file_with_loose_mode_is_tightened(tmp_path: Path) -> None:
    """A key file someone made world-readable is narrowed to 0600 at start-up, its value kept."""
    key_file = tmp_path / "secret_key"
    key_file.write_text("Vq3-p9Lx2mZr8TbW1yKc7NfHs4JdGe6A0uQo5RiE")
    key_file.chmod(0o644)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SECRET_KEY"] == "Vq3-p9Lx2mZr8TbW1yKc7NfHs4JdGe6A0uQo5RiE"
    assert _mode(key_file) == 0o600


def test_unusable_instance_folder_stops_start_up_with_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An instance folder that can't be created ends start-up with one sentence on stderr."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StartupError) as stopped:
        create_app({"INSTANCE_PATH": str(blocker / "instance")})
    assert stopped.value.code == 4  # gunicorn: "App failed to load", no endless worker restarts
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"Signet cannot start: Signet cannot write to its instance folder {blocker}")
    assert "INSTANCE_PATH" in err


def test_read_only_instance_folder_stops_start_up_with_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder on a read-only file system (simulated: root ignores permission bits) says so."""
    real_open = os.open

    def read_only_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_CREAT and str(path).startswith(str(tmp_path)):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only_open)
    with pytest.raises(StartupError) as stopped:
        create_app({"INSTANCE_PATH": str(tmp_path)})
    assert "read-only file system" in stopped.value.message
    assert capsys.readouterr().err.count("\n") == 1


def test_start_up_failure_prints_no_traceback(tmp_path: Path) -> None:
    """Run as a real process (as gunicorn or `flask` would): exit status 4 and one line on stderr."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = {**os.environ, "INSTANCE_PATH": str(blocker / "instance")}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", "from webapp import create_app; create_app()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 4
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "Signet cannot write to its instance folder" in result.stderr


def test_start_up_fails_within_seconds_on_a_silent_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database server that accepts connections and never answers stops start-up within seconds, with
    a message naming its host and port and never the password."""
    monkeypatch.setattr(importlib.import_module("webapp.db"), "CONNECT_TIMEOUT_SECONDS", 2)
    outcome: list[BaseException] = []
    with silent_server() as port:
        url = f"postgresql+psycopg://signet:Sup3r-s3cret@127.0.0.1:{port}/signet"

        def start() -> None:
            try:
                create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": url})
            except BaseException as error:  # noqa: BLE001 - handed to the test thread
                outcome.append(error)

        started = time.monotonic()
        starter = threading.Thread(target=start, daemon=True)
        starter.start()
        starter.join(timeout=10)
    assert outcome, "start-up still waiting on the database after 10 s"
    assert time.monotonic() - started < 6
    error = outcome[0]
    assert isinstance(error, StartupError)
    assert f"127.0.0.1:{port}" in error.message
    assert "Sup3r-s3cret" not in error.message


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)
