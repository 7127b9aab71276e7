"""``--state-file``: the org survives restarts (users, schema, apps, grants, tokens, limits, DPoP, key).

Every change of state (:meth:`SandboxCore._changed`) marks the state dirty; a background thread
saves it after a short debounce, and :meth:`StateFileMixin.close` (the CLI's SIGTERM and Ctrl-C
path, ``SandboxServer.stop``, interpreter exit) saves what is pending. Each save writes a temporary
file next to the state file, fsyncs it, then ``os.replace``-s it, so a reader never sees half a file.
The signing key is saved too, so tokens signed before a restart still verify. Not saved: the
clock, faults, the request log, pending /authorize transactions and the current minute's counts.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import threading
import weakref
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from okta_sandbox.limits import LimitsMixin, check_rate_limits
from okta_sandbox.models import (
    AccessTokenRecord,
    AuthorizationCode,
    RefreshTokenRecord,
    SandboxApp,
    TokenFamily,
    UserRecord,
)
from okta_sandbox.oauth_server import OAuthServerMixin
from okta_sandbox.signing import Signer
from okta_sandbox.state_codec import StateFileError, decode, decode_user, encode, encode_user

STATE_FORMAT = "okta_sandbox.state"
STATE_VERSION = 1
SAVE_DEBOUNCE_SECONDS = 0.2
_OPEN_STATE_FILES: weakref.WeakSet[StateFileMixin] = weakref.WeakSet()


class StateFileMixin(OAuthServerMixin, LimitsMixin):
    """Saves the org to a JSON file after changes, and loads it back at start."""

    _state_path: Path | None
    _state_dirty: threading.Event
    _state_wake: threading.Event
    _state_stop: threading.Event
    _state_write_lock: threading.Lock
    _state_saver: threading.Thread | None

    def _init_state_file(self) -> None:
        self._state_path = None
        self._state_dirty = threading.Event()
        self._state_wake = threading.Event()
        self._state_stop = threading.Event()
        self._state_write_lock = threading.Lock()
        self._state_saver = None

    @property
    def state_file(self) -> Path | None:
        """The state file, if the sandbox has one."""
        return self._state_path

    def _attach_state_file(self, path: Path, *, loaded: bool) -> None:
        """Save to ``path`` from now on: now (unless it was just loaded), then after every change."""
        self._state_path = path
        if not loaded:
            self.save_state()
        self.add_listener(self._mark_dirty)
        self._state_saver = threading.Thread(
            target=self._save_loop, name=f"okta-sandbox-state-{path.name}", daemon=True
        )
        self._state_saver.start()
        _OPEN_STATE_FILES.add(self)

    def _mark_dirty(self, event: str, target: dict[str, Any]) -> None:
        self._state_dirty.set()
        self._state_wake.set()

    def _save_loop(self) -> None:
        while not self._state_stop.is_set():
            self._state_wake.wait()
            self._state_wake.clear()
            # Debounce: a burst of changes (a flow, a bulk update) is saved once.
            self._state_stop.wait(SAVE_DEBOUNCE_SECONDS)
            self.flush_state()

    def flush_state(self) -> None:
        """Save now if anything changed since the last save."""
        if self._state_path is not None and self._state_dirty.is_set():
            self.save_state()

    def save_state(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the whole state atomically (temp file, fsync, ``os.replace``); returns the path.

        ``path`` defaults to the state file; another path takes a snapshot that
        ``OktaSandbox(state_file=path)`` can start from.
        """
        target = Path(path) if path is not None else self._state_path
        if target is None:
            raise RuntimeError("This sandbox has no state file (OktaSandbox(state_file=...))")
        with self._state_write_lock:
            if target == self._state_path:
                self._state_dirty.clear()
            with self._lock:
                document = self._state_document()
                users = b"[" + b",".join(self._user_state_json(user) for user in self._sorted) + b"]"
            head = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
            # The users (cached per user, re-encoded only after a change) go last, spliced in.
            _write_atomically(target, head[:-1] + b',"users":' + users + b"}")
        return target

    @staticmethod
    def _user_state_json(user: UserRecord) -> bytes:
        if user.state_json is None:
            user.state_json = json.dumps(
                encode_user(user), ensure_ascii=False, separators=(",", ":")
            ).encode()
        return user.state_json

    def close(self) -> None:
        """Stop the background saver and save what is pending (no-op without a state file)."""
        saver = self._state_saver
        if saver is not None:
            self._state_stop.set()
            self._state_wake.set()  # let the loop see the stop
            saver.join(timeout=10)
            self._state_saver = None
        with contextlib.suppress(RuntimeError):
            self.flush_state()

    # ------------------------------------------------------------------ the document

    def _state_document(self) -> dict[str, Any]:
        """Everything that survives a restart, as JSON-able data (the caller holds the lock)."""
        version, internal, gauss = self._rng.getstate()
        return {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "seed": self.seed,
            "rng": [version, list(internal), gauss],
            "signingKey": self.signer.private_jwk(),
            "ids": {
                "schemaId": self.schema_id,
                "userTypeId": self.user_type_id,
                "idpId": self.idp_id,
                "defaultClientId": self._default_client_id,
            },
            "schema": encode(
                {
                    "created": self._schema_created,
                    "updated": self._schema_updated,
                    "custom": self._custom_attributes,
                }
            ),
            "admins": sorted(self._admins),
            "apps": encode(list(self._apps.values())),
            "sessions": dict(self._sessions),
            "codes": encode(list(self._codes.values())),
            "families": encode(list(self._families.values())),
            "accessTokens": encode(self._access_tokens),
            "refreshTokens": encode(self._refresh_tokens),
            "rateLimits": dict(self._rate_limits),
            "dpop": self._dpop_document(),
        }

    def _dpop_document(self) -> dict[str, Any]:
        return {
            "nonces": encode(self._dpop_nonces),
            "current": self._dpop_current_nonce,
            "seen": encode(self._dpop_seen),
            "rotateAfterSeconds": self.dpop_nonce_rotation.total_seconds(),
            "validForSeconds": self.dpop_nonce_lifetime.total_seconds(),
        }

    def _load_state_file(self, path: Path) -> None:
        """Replace the org with the one saved in ``path`` (:class:`StateFileError` if unreadable)."""
        try:
            document = json.loads(path.read_bytes())
        except (OSError, ValueError) as exc:
            raise StateFileError(f"Cannot read the state file {path}: {exc}") from exc
        if not isinstance(document, dict) or document.get("format") != STATE_FORMAT:
            raise StateFileError(f"{path} is not an okta_sandbox state file")
        if document.get("version") != STATE_VERSION:
            raise StateFileError(f"{path}: unsupported state version {document.get('version')!r}")
        try:
            with self._lock:
                self._restore(document)
        except (KeyError, TypeError, ValueError) as exc:
            raise StateFileError(f"{path}: {type(exc).__name__}: {exc}") from exc

    def _restore(self, document: dict[str, Any]) -> None:
        version, internal, gauss = document["rng"]
        self.seed = int(document["seed"])
        self._rng.setstate((version, tuple(internal), gauss))
        self.signer = Signer.from_private_jwk(document["signingKey"])
        ids = document["ids"]
        self.schema_id, self.user_type_id = ids["schemaId"], ids["userTypeId"]
        self.idp_id, self._default_client_id = ids["idpId"], ids["defaultClientId"]
        self._restore_schema(document["schema"])
        users = [decode_user(item) for item in document["users"]]
        self._set_users(users, admins=set(document["admins"]))
        self._apps = {app.client_id: app for app in (decode(SandboxApp, item) for item in document["apps"])}
        self._sessions = {str(sid): str(uid) for sid, uid in document["sessions"].items()}
        self._codes = {
            code.code: code for code in (decode(AuthorizationCode, item) for item in document["codes"])
        }
        families = (decode(TokenFamily, item) for item in document["families"])
        self._families = {family.family_id: family for family in families}
        self._access_tokens = {
            token: decode(AccessTokenRecord, item) for token, item in document["accessTokens"].items()
        }
        self._refresh_tokens = {
            token: decode(RefreshTokenRecord, item) for token, item in document["refreshTokens"].items()
        }
        self._rate_limits.update(check_rate_limits(document["rateLimits"]))
        self._restore_dpop(document["dpop"])

    def _restore_schema(self, schema: dict[str, Any]) -> None:
        self._schema_created = datetime.fromisoformat(schema["created"])
        self._schema_updated = datetime.fromisoformat(schema["updated"])
        self._custom_attributes = {str(name): dict(prop) for name, prop in schema["custom"].items()}
        self._schema_json = None

    def _restore_dpop(self, dpop: dict[str, Any]) -> None:
        self._dpop_nonces = {nonce: datetime.fromisoformat(at) for nonce, at in dpop["nonces"].items()}
        current = dpop["current"]
        self._dpop_current_nonce = current if current in self._dpop_nonces else None
        self._dpop_seen = {key: datetime.fromisoformat(until) for key, until in dpop["seen"].items()}
        self.dpop_nonce_rotation = timedelta(seconds=float(dpop["rotateAfterSeconds"]))
        self.dpop_nonce_lifetime = timedelta(seconds=float(dpop["validForSeconds"]))


def _write_atomically(path: Path, data: bytes) -> None:
    """Temp file in the same directory (0600: it holds the signing key), fsync, rename over ``path``."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable where directories can be fsynced
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


@atexit.register
def _flush_all() -> None:
    """Interpreter exit: save what the background savers have not saved yet."""
    for sandbox in list(_OPEN_STATE_FILES):
        with contextlib.suppress(Exception):
            sandbox.close()
