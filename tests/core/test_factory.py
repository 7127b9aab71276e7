"""The app factory, settings and secret-key handling."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from webapp import create_app
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
