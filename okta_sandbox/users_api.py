"""The Users API area: seeded users, lifecycle changes, listing with search/filter/pagination.

Serves ``GET /api/v1/users`` and ``GET /api/v1/users/{id|login|me}`` (SPEC-M ``listUsers``,
``getUser``; FACTS.md §2) and the Python/control API that changes users.
"""

from __future__ import annotations

import bisect
import json
import random
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, Literal

from okta_sandbox import errors
from okta_sandbox.errors import ApiError
from okta_sandbox.ids import USER_PREFIX, okta_id
from okta_sandbox.models import USER_STATUSES, UserRecord
from okta_sandbox.query import Predicate, QueryError, compile_query
from okta_sandbox.schemas_api import COMPACT_JSON, SchemaMixin
from okta_sandbox.seed import ANCHOR, USER_PASSWORD, generate_users
from okta_sandbox.user_json import OrgContext, UsersPage, user_to_dict

ADMIN_LOGIN = "admin@sandbox.example"
# Deactivate-then-delete (deactivate_and_delete_users): the seconds between the two steps, and
# what a deletion announces (Okta's event-type catalog: initiated, then completed).
DELETE_GAP_SECONDS = 1.0
MAX_DELETE_GAP_SECONDS = 5.0
DELETE_EVENTS = ("user.lifecycle.delete.initiated", "user.lifecycle.delete.completed")
# A documented, fake credential for a local emulator (printed by the CLI, shown on the sign-in page).
ADMIN_PASSWORD = "Sandbox-Admin-1"  # noqa: S105


class UsersMixin(SchemaMixin):
    """Users kept sorted by id (the list order), with a login index and the admin set."""

    admin_login: str
    admin_password: str
    _users: dict[str, UserRecord]
    _ids: list[str]  # sorted; parallel to _sorted
    _sorted: list[UserRecord]
    _by_login: dict[str, str]
    _admins: set[str]

    def _init_users(self) -> None:
        self.admin_login = ADMIN_LOGIN
        self.admin_password = ADMIN_PASSWORD
        self._users = {}
        self._ids = []
        self._sorted = []
        self._by_login = {}
        self._admins = set()

    def _seed_users(self, count: int) -> None:
        """The sandbox admin plus ``count`` deterministic teammates (see :mod:`okta_sandbox.seed`)."""
        admin = UserRecord(
            id=okta_id(USER_PREFIX, self._rng),
            status="ACTIVE",
            created=ANCHOR - timedelta(days=999),
            activated=ANCHOR - timedelta(days=999),
            status_changed=ANCHOR - timedelta(days=999),
            last_login=ANCHOR - timedelta(days=2),
            last_updated=ANCHOR - timedelta(days=999),
            password_changed=ANCHOR - timedelta(days=999),
            type_id=self.user_type_id,
            profile={
                "login": ADMIN_LOGIN,
                "firstName": "Sandbox",
                "lastName": "Admin",
                "email": ADMIN_LOGIN,
                "displayName": "Sandbox Admin",
                "title": "Super Administrator",
            },
            password=ADMIN_PASSWORD,
        )
        records = [admin]
        # The non-string custom attributes have their own rng: adding them left every id unchanged.
        # So do the real-data traits (okta_sandbox.seed_real): adding them left every id unchanged too.
        custom_rng = random.Random(f"custom-attributes:{self.seed}")
        real_rng = random.Random(f"real-data:{self.seed}")
        records.extend(
            generate_users(
                self._rng,
                count,
                type_id=self.user_type_id,
                existing_logins={ADMIN_LOGIN},
                custom_rng=custom_rng,
                real_rng=real_rng,
            )
        )
        self._set_users(records, admins={admin.id})

    def _set_users(self, records: list[UserRecord], *, admins: set[str]) -> None:
        """Replace every user (seeding, loading a state file)."""
        records.sort(key=lambda user: user.id)
        self._sorted = records
        self._ids = [user.id for user in records]
        self._users = {user.id: user for user in records}
        self._by_login = {user.profile["login"].lower(): user.id for user in records}
        self._admins = set(admins)

    def _insert(self, user: UserRecord) -> None:
        index = bisect.bisect_left(self._ids, user.id)
        self._ids.insert(index, user.id)
        self._sorted.insert(index, user)
        self._users[user.id] = user
        self._by_login[user.profile["login"].lower()] = user.id

    def _find(self, id_or_login: str) -> UserRecord:
        user = self._users.get(id_or_login)
        if user is None:
            user_id = self._by_login.get(id_or_login.lower())
            user = self._users.get(user_id) if user_id else None
        if user is None:
            raise errors.not_found(id_or_login, "User")
        return user

    def _new_user_id(self) -> str:
        user_id = okta_id(USER_PREFIX, self._rng)
        while user_id in self._users:
            user_id = okta_id(USER_PREFIX, self._rng)
        return user_id

    def create_user(
        self, *, profile: dict[str, Any], status: str = "ACTIVE", password: str | None = None
    ) -> dict[str, Any]:
        """Add a user and return its JSON (``None`` values are treated as unset).

        ``password`` defaults to the seeded users' documented password.
        Raises :class:`ApiError` (400 ``E0000001``) for a missing required attribute, an
        attribute not in the schema, or a login that is already taken.
        """
        _check_status(status)
        clean = {key: value for key, value in profile.items() if value is not None}
        with self._lock:
            self._check_profile(clean)
            if clean["login"].lower() in self._by_login:
                raise ApiError(
                    400,
                    "E0000001",
                    "Api validation failed: login",
                    ["login: An object with this field already exists in the current organization"],
                )
            now = self._stamp()
            activated = None if status in ("STAGED", "PROVISIONED") else now
            user = UserRecord(
                id=self._new_user_id(),
                status=status,
                created=now,
                activated=activated,
                status_changed=now if status != "STAGED" else None,
                last_login=None,
                last_updated=now,
                password_changed=activated,
                type_id=self.user_type_id,
                profile=clean,
                password=password or USER_PASSWORD,
            )
            self._insert(user)
            self._changed("user.lifecycle.create", id=user.id)
            return self._user_dict(user, full_links=True)

    def update_user(self, user_id: str, *, profile: dict[str, Any]) -> dict[str, Any]:
        """Merge ``profile`` into the profile (``None`` removes an attribute); bumps ``lastUpdated``."""
        with self._lock:
            user = self._find(user_id)
            merged = dict(user.profile)
            for key, value in profile.items():
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
            self._check_profile(merged)
            new_login = merged["login"].lower()
            old_login = user.profile["login"].lower()
            if new_login != old_login:
                if new_login in self._by_login:
                    raise ApiError(400, "E0000001", "Api validation failed: login")
                del self._by_login[old_login]
                self._by_login[new_login] = user.id
            user.profile = merged
            self._touch(user)
            self._changed("user.account.update_profile", id=user.id)
            return self._user_dict(user, full_links=True)

    def _touch(self, user: UserRecord) -> None:
        now = self._stamp()
        # lastUpdated moves forward (by at least Okta's one-second precision) even when the clock
        # is frozen, so incremental syncs using `lastUpdated gt` see back-to-back changes.
        user.last_updated = max(now, user.last_updated + timedelta(seconds=1))
        user.list_json = None
        user.state_json = None

    def set_status(self, user_id: str, status: str) -> dict[str, Any]:
        """Move the user to ``status`` (any of the 8 Okta statuses); bumps ``statusChanged``/``lastUpdated``.

        DEPROVISIONED and SUSPENDED users lose their sandbox sessions and tokens, as in Okta.
        """
        _check_status(status)
        with self._lock:
            user = self._find(user_id)
            if user.status != status:
                user.status = status
                # A status change completes (or supersedes) any transition in progress.
                user.transitioning_to_status = None
                self._touch(user)
                user.status_changed = user.last_updated
                if status == "ACTIVE" and user.activated is None:
                    user.activated = user.last_updated
                if status in ("DEPROVISIONED", "SUSPENDED"):
                    self._on_user_disabled(user.id)
                self._changed(_STATUS_EVENTS.get(status, "user.lifecycle.status"), id=user.id)
            return self._user_dict(user, full_links=True)

    def deactivate_user(self, user_id: str) -> dict[str, Any]:
        """Deactivate (status ``DEPROVISIONED``)."""
        return self.set_status(user_id, "DEPROVISIONED")

    def reactivate_user(self, user_id: str) -> dict[str, Any]:
        """Bring a user back to ``ACTIVE`` (Okta's separate activation email step is not emulated)."""
        return self.set_status(user_id, "ACTIVE")

    def delete_user(
        self, user_id: str, *, events: tuple[str, ...] = ("user.lifecycle.delete.completed",)
    ) -> None:
        """Remove the user outright (Okta's two-step deactivate-then-delete is collapsed into one;
        :meth:`deactivate_and_delete_users` does both steps) and announce ``events``."""
        with self._lock:
            user = self._find(user_id)
            self._on_user_disabled(user.id)
            index = bisect.bisect_left(self._ids, user.id)
            del self._ids[index]
            del self._sorted[index]
            del self._users[user.id]
            del self._by_login[user.profile["login"].lower()]
            self._admins.discard(user.id)
            for event in events:
                self._changed(event, id=user.id)

    def deactivate_and_delete_users(
        self, user_ids: list[str], *, gap_seconds: float = DELETE_GAP_SECONDS
    ) -> None:
        """Remove users the way real orgs do: deactivate each (``DEPROVISIONED``,
        ``user.lifecycle.deactivate``), then ``gap_seconds`` of real time later (0-5 s in 125
        recorded pairs, median 1 s; at most 5 here) delete each (``user.lifecycle.delete.initiated``
        and ``.delete.completed``). Unknown ids fail before anything changes."""
        if not 0 <= gap_seconds <= MAX_DELETE_GAP_SECONDS:
            raise ValueError(f"gap_seconds must be 0 to {MAX_DELETE_GAP_SECONDS:g}")
        with self._lock:
            ids = [self._find(user_id).id for user_id in dict.fromkeys(user_ids)]
        for user_id in ids:
            self.set_status(user_id, "DEPROVISIONED")
        time.sleep(gap_seconds)
        for user_id in ids:
            self.delete_user(user_id, events=DELETE_EVENTS)

    def grant_admin(self, login: str) -> None:
        """Make a user an admin, so tokens minted for it may call the Management API."""
        with self._lock:
            user_id = self._find(login).id
            self._admins.add(user_id)
            self._changed("user.account.privilege.grant", id=user_id)

    def is_admin(self, user_id: str) -> bool:
        """Whether the user may call the Management API."""
        with self._lock:
            return user_id in self._admins

    def user_login(self, user_id: str) -> str:
        """The login of a user id."""
        with self._lock:
            return str(self._find(user_id).profile["login"])

    def authenticate(self, login: str, password: str) -> str | None:
        """Return the user id if ``login``/``password`` match an ACTIVE user, else ``None``."""
        with self._lock:
            user_id = self._by_login.get(login.strip().lower())
            user = self._users.get(user_id) if user_id else None
            if user is None or user.status != "ACTIVE" or user.password != password:
                return None
            user.last_login = self._stamp()
            # lastLogin changes do not bump lastUpdated in Okta (it tracks profile/status changes).
            user.list_json = None
            user.state_json = None
            self._changed("user.authentication.sso", id=user.id)
            return user.id

    # ------------------------------------------------------------------ reads

    def get_user(self, user_id: str) -> dict[str, Any]:
        """Return one user's JSON (id or login), with the lifecycle ``_links`` of a single GET."""
        with self._lock:
            return self._user_dict(self._find(user_id), full_links=True)

    def get_user_json(self, user_id: str) -> bytes:
        """Like :meth:`get_user`, serialised."""
        return json.dumps(self.get_user(user_id), **COMPACT_JSON).encode()

    def user_count(self) -> int:
        """How many users exist (every status, the admin included)."""
        with self._lock:
            return len(self._sorted)

    def iter_user_ids(self) -> Iterator[str]:
        """A snapshot of every user id, in list order."""
        with self._lock:
            return iter(list(self._ids))

    def list_users(
        self,
        *,
        search: str | None = None,
        filter: str | None = None,  # noqa: A002 - mirrors the query parameter
        include_deprovisioned: bool | None = None,
    ) -> list[dict[str, Any]]:
        """Every matching user's list-form JSON, in list order (no pagination)."""
        predicate = self._compile(search=search, filter_=filter)
        with self._lock:
            keep_deprovisioned = (
                include_deprovisioned if include_deprovisioned is not None else bool(predicate)
            )
            return [
                self._user_dict(user, full_links=False)
                for user in self._sorted
                if (predicate is None or predicate(user))
                and (keep_deprovisioned or user.status != "DEPROVISIONED")
            ]

    def _compile(self, *, search: str | None, filter_: str | None) -> Predicate | None:
        if search is not None and filter_ is not None:
            raise ApiError(400, "E0000031", errors.INVALID_SEARCH_SUMMARY, ["Use either search or filter."])
        mode: Literal["search", "filter"] = "search"
        if search is not None:
            text = search
        elif filter_ is not None:
            text, mode = filter_, "filter"
        else:
            return None
        try:
            return compile_query(text, mode=mode, profile_attributes=self.profile_attribute_names)
        except QueryError as exc:
            raise ApiError(
                400, "E0000031", errors.INVALID_SEARCH_SUMMARY, [f"Invalid search syntax. {exc}"]
            ) from exc

    def users_page(
        self, *, limit: int, after: str | None = None, search: str | None = None, filter_: str | None = None
    ) -> UsersPage:
        """One page of ``GET /api/v1/users`` ordered by id; ``after`` is the previous page's last id.

        Plain listing omits DEPROVISIONED users; ``search``/``filter`` include them (SPEC-M listUsers).
        An ``after`` that names no user still works: the page starts at the next id in order.
        """
        predicate = self._compile(search=search, filter_=filter_)
        with self._lock:
            start = bisect.bisect_right(self._ids, after) if after else 0
            items: list[bytes] = []
            last_id: str | None = None
            has_more = False
            for index in range(start, len(self._sorted)):
                user = self._sorted[index]
                if predicate is None:
                    if user.status == "DEPROVISIONED":
                        continue
                elif not predicate(user):
                    continue
                if len(items) == limit:
                    has_more = True
                    break
                items.append(self._list_json(user))
                last_id = user.id
            return UsersPage(items, last_id if has_more else None)

    def _list_json(self, user: UserRecord) -> bytes:
        if user.list_json is None:
            user.list_json = json.dumps(self._user_dict(user, full_links=False), **COMPACT_JSON).encode()
        return user.list_json

    def _user_dict(self, user: UserRecord, *, full_links: bool) -> dict[str, Any]:
        org = OrgContext(self._origin, self.schema_id, self.user_type_id)
        return user_to_dict(user, self._custom_attributes, org, full_links=full_links)


# Okta System Log event types for status changes (announced through SandboxCore._changed).
_STATUS_EVENTS = {
    "ACTIVE": "user.lifecycle.activate",
    "DEPROVISIONED": "user.lifecycle.deactivate",
    "SUSPENDED": "user.lifecycle.suspend",
}


def _check_status(status: str) -> None:
    if status not in USER_STATUSES:
        raise ValueError(f"Unknown status {status!r}; expected one of {USER_STATUSES}")
