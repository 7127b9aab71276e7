"""Private files in the instance folder (generated secret key, encryption key)."""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path


def read_or_create_private_file(path: Path, make_content: Callable[[], bytes]) -> bytes:
    """The file's content, creating it first (mode 0600) if it does not exist yet.

    The content is written to a temporary file and hard-linked into place, which fails if another
    process won the race: every process (two gunicorn workers starting together) reads the same,
    complete value, never a half-written one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        content = path.read_bytes().strip()
        if content:
            return content
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "wb") as handle:
        handle.write(make_content())
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process created it first; use theirs
    finally:
        temporary.unlink()
    return path.read_bytes().strip()
