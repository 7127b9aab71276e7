"""Lease owners named `host:pid:...`: whether the process behind one on this host is gone.

Leases (the Okta refresh lease, the sync lock) name their holder this way so that a holder killed
outright (`kill -9`) can be taken over at once instead of when its lease expires.
"""

from __future__ import annotations

import os
import socket

HOSTNAME = socket.gethostname()


def pid_is_alive(pid: int) -> bool:
    """Whether a process `pid` exists on this host (one of another user's counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def local_pid(owner: str) -> int | None:
    """The pid in a lease owner `host:pid:...` when the host is this one, else None."""
    host, _, rest = owner.partition(":")
    pid = rest.split(":", 1)[0]
    return int(pid) if host == HOSTNAME and pid.isdigit() else None
