"""The instance folder and its private files (generated secret key, encryption key, SQLite database).

The folder is kept at mode 0700 and the files at 0600: they hold the keys that sign sessions and
decrypt Okta tokens, and the database. A folder Signet cannot use stops start-up with one sentence.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600
# SQLite keeps these beside the database while it is open (https://www.sqlite.org/tempfiles.html).
SQLITE_COMPANION_SUFFIXES = ("-wal", "-shm", "-journal")


class InstanceFolderError(RuntimeError):
    """The instance folder or one of its files cannot be used; the message says what to do."""


def prepare_instance_folder(path: Path) -> None:
    """Create the folder (0700) or tighten it, and make sure Signet can write in it."""
    try:
        path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        restrict(path, FOLDER_MODE)
        probe = path / f".write-check-{os.getpid()}-{secrets.token_hex(4)}"
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
        probe.unlink()
    except OSError as error:
        raise InstanceFolderError(
            f"Signet cannot write to its instance folder {path} ({_why(error)}); make it writable by the "
            "user running Signet, or set INSTANCE_PATH to a folder that is."
        ) from error


def restrict(path: Path, mode: int) -> None:
    """Narrow `path`'s permissions to `mode` if they are wider and we own it (others' files are left)."""
    info = path.stat()
    if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & ~mode:
        path.chmod(mode)


def protect_sqlite_file(database: Path) -> None:
    """Create the SQLite file as 0600 before SQLite does (it would use 0644), or tighten it.

    SQLite gives its WAL and shared-memory files the database file's permissions.
    """
    try:
        database.parent.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT, FILE_MODE))
        for candidate in (database, *(Path(f"{database}{s}") for s in SQLITE_COMPANION_SUFFIXES)):
            if candidate.exists():
                restrict(candidate, FILE_MODE)
    except OSError as error:
        raise InstanceFolderError(
            f"Signet cannot create or open its database file {database} ({_why(error)}); make its folder "
            "writable by the user running Signet."
        ) from error


def read_or_create_private_file(path: Path, make_content: Callable[[], bytes]) -> bytes:
    """The file's content, creating it first (mode 0600) if it does not exist yet.

    The content is written to a temporary file and hard-linked into place, which fails if another
    process won the race: every process (two gunicorn workers starting together) reads the same,
    complete value, never a half-written one.
    """
    try:
        return _read_or_create(path, make_content)
    except OSError as error:
        raise InstanceFolderError(
            f"Signet cannot read or create {path} ({_why(error)}); it must be readable and writable by "
            "the user running Signet only."
        ) from error


def _read_or_create(path: Path, make_content: Callable[[], bytes]) -> bytes:
    path.parent.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    if path.exists():
        restrict(path, FILE_MODE)
        content = path.read_bytes().strip()
        if content:
            return content
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(make_content())
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process created it first; use theirs
    finally:
        temporary.unlink()
    return path.read_bytes().strip()


def _why(error: OSError) -> str:
    return error.strerror.lower() if error.strerror else type(error).__name__
