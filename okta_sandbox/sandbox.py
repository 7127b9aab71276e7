"""The sandbox org: users, schema, apps, tokens, limits and faults, with no HTTP.

One :class:`OktaSandbox` holds all state behind one lock. The HTTP layer
(:mod:`okta_sandbox.server`) and the control API call into it; pytest fixtures use it
directly. Rules cite FACTS.md (``/work/shared/okta/FACTS.md``) and the Okta sources it names.
"""

from __future__ import annotations

import bisect
import json
import random
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from authlib.oauth2.rfc7636 import create_s256_code_challenge

from okta_sandbox import errors
from okta_sandbox.clock import SandboxClock, okta_timestamp
from okta_sandbox.errors import ApiError, OAuthError
from okta_sandbox.ids import (
    CLIENT_PREFIX,
    SCHEMA_PREFIX,
    USER_PREFIX,
    USER_TYPE_PREFIX,
    okta_id,
    opaque_token,
)
from okta_sandbox.models import (
    USER_STATUSES,
    AccessTokenRecord,
    AuthorizationCode,
    AuthorizeRequest,
    Fault,
    RefreshTokenRecord,
    RequestRecord,
    SandboxApp,
    TokenFamily,
    UserRecord,
)
from okta_sandbox.query import QueryError, compile_query
from okta_sandbox.schema import (
    ATTRIBUTE_TYPES,
    BASE_ATTRIBUTE_NAMES,
    BASE_ATTRIBUTES,
    REQUIRED_BASE,
    base_property,
    custom_property,
)
from okta_sandbox.seed import ANCHOR, CUSTOM_ATTRIBUTES, generate_users
from okta_sandbox.signing import Signer

ADMIN_LOGIN = "admin@sandbox.example"
# A documented, fake credential for a local emulator (printed by the CLI, shown on the sign-in page).
ADMIN_PASSWORD = "Sandbox-Admin-1"  # noqa: S105
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8000/callbacks/okta"
DEFAULT_APP_SCOPES: tuple[str, ...] = ("okta.users.read", "okta.schemas.read")
ALL_TEST_SCOPES: tuple[str, ...] = ("openid", "offline_access", "okta.users.read", "okta.schemas.read")

# Scopes the org AS knows (SPEC-O OrgASOidcMetadata scopes_supported) plus the okta.* scopes
# this sandbox serves. okta.* scopes must also be granted to the app (G-OAUTH).
OIDC_SCOPES = frozenset({"openid", "email", "profile", "address", "phone", "offline_access", "groups"})
OKTA_SCOPES = frozenset({"okta.users.read", "okta.schemas.read"})

# Per-minute buckets, defaults from developer.okta.com rl-global-mgmt (Workforce/Enterprise
# column, FACTS.md §4). "schemas" covers every other /api/v1 endpoint; "oauth2" covers
# /oauth2/v1/* and /.well-known/*.
DEFAULT_RATE_LIMITS: dict[str, int] = {"users_list": 600, "users_get": 2000, "schemas": 1200, "oauth2": 2000}
RATE_LIMIT_FAMILIES = frozenset(DEFAULT_RATE_LIMITS)

FAULT_KINDS = frozenset({"http_error", "rate_limit", "latency", "drop", "malformed_json"})
CODE_LIFETIME = timedelta(seconds=300)  # SPEC-O TokenRequestAuthorizationCode
TXN_LIFETIME = timedelta(minutes=10)
REQUEST_LOG_SIZE = 10_000
# Memory bounds for a long-running sandbox (benchmarks, `make demo`). Dead codes and tokens are
# swept once as many new ones were issued as were alive after the previous sweep (and at least
# PRUNE_MIN_ISSUED): memory stays proportional to live state at amortised O(1) per issue.
PRUNE_MIN_ISSUED = 1024
# Browser sessions and pending /authorize transactions: beyond this, the oldest are forgotten.
MAX_SESSIONS = 10_000
MAX_TRANSACTIONS = 10_000
_UPDATABLE_APP_FIELDS = frozenset(
    {
        "name",
        "redirect_uris",
        "granted_scopes",
        "assign_everyone",
        "assigned_logins",
        "refresh_leeway_seconds",
        "access_token_lifetime_seconds",
        "refresh_token_lifetime_seconds",
        "refresh_rotation",
        "post_logout_redirect_uris",
    }
)
_LIST_JSON = {"separators": (",", ":"), "ensure_ascii": False}


@dataclass(frozen=True, slots=True)
class RateLimitStatus:
    """The state of one bucket after a request was counted (or refused)."""

    family: str
    allowed: bool
    limit: int
    remaining: int
    reset_epoch: int


@dataclass(frozen=True, slots=True)
class UsersPage:
    """One page of ``GET /api/v1/users``: serialised users and the ``after`` cursor, if any."""

    items: list[bytes]
    next_after: str | None

    def json_bytes(self) -> bytes:
        """The page as a JSON array."""
        return b"[" + b",".join(self.items) + b"]"


class OktaSandbox:
    """A thread-safe, in-memory Okta org with seeded users and one SPA app.

    ``origin`` is the org's base URL (issuer, audience, link hosts); :class:`SandboxServer`
    sets it to the address it listens on.
    """

    def __init__(self, *, seed: int = 1, users: int = 25, origin: str = "") -> None:
        self._lock = threading.RLock()
        self.clock = SandboxClock()
        self.seed = seed
        self._rng = random.Random(seed)
        self._origin = origin.rstrip("/")
        self.signer = Signer()
        self.admin_login = ADMIN_LOGIN
        self.admin_password = ADMIN_PASSWORD

        self.schema_id = okta_id(SCHEMA_PREFIX, self._rng)
        self.user_type_id = okta_id(USER_TYPE_PREFIX, self._rng)
        # The id_token `idp` claim is the org's identity-provider id (00o...) for Okta sign-ins.
        self.idp_id = okta_id("00o", self._rng)
        # Drawn before the users so the default client id depends on the seed alone, not on `users`.
        default_client_id = okta_id(CLIENT_PREFIX, self._rng)
        self._schema_created = ANCHOR - timedelta(days=1000)
        self._schema_updated = ANCHOR - timedelta(days=1000)
        self._custom_attributes: dict[str, dict[str, Any]] = {}
        self._schema_json: bytes | None = None
        for name, title, extra in CUSTOM_ATTRIBUTES:
            self._custom_attributes[name] = custom_property(title, "string", dict(extra))

        self._users: dict[str, UserRecord] = {}
        self._ids: list[str] = []  # sorted; parallel to _sorted
        self._sorted: list[UserRecord] = []
        self._by_login: dict[str, str] = {}
        self._admins: set[str] = set()
        self._seed_users(users)

        self._apps: dict[str, SandboxApp] = {}
        self._txns: dict[str, AuthorizeRequest] = {}
        self._sessions: dict[str, str] = {}
        self._codes: dict[str, AuthorizationCode] = {}
        self._families: dict[str, TokenFamily] = {}
        self._access_tokens: dict[str, AccessTokenRecord] = {}
        self._refresh_tokens: dict[str, RefreshTokenRecord] = {}
        self._issued_since_prune = 0
        self._prune_threshold = PRUNE_MIN_ISSUED

        self._rate_limits = dict(DEFAULT_RATE_LIMITS)
        self._buckets: dict[str, tuple[int, int]] = {}
        self._faults: list[Fault] = []
        self._log: deque[RequestRecord] = deque(maxlen=REQUEST_LOG_SIZE)

        self._default_client_id = default_client_id
        self.register_app(client_id=default_client_id, redirect_uris=[DEFAULT_REDIRECT_URI])

    # ------------------------------------------------------------------ origin

    @property
    def default_app(self) -> SandboxApp:
        """A current copy of the default SPA app (redirect URI ``http://127.0.0.1:8000/callbacks/okta``)."""
        app = self.get_app(self._default_client_id)
        if app is None:  # pragma: no cover - the default app is never removed
            raise RuntimeError("default app missing")
        return app

    @default_app.setter
    def default_app(self, app: SandboxApp) -> None:
        with self._lock:
            if app.client_id not in self._apps:
                self._apps[app.client_id] = replace(app)
            self._default_client_id = app.client_id

    @property
    def origin(self) -> str:
        """The org's base URL, e.g. ``http://127.0.0.1:9000`` (the OAuth issuer)."""
        return self._origin

    @origin.setter
    def origin(self, value: str) -> None:
        with self._lock:
            self._origin = value.rstrip("/")
            self._schema_json = None
            for user in self._sorted:
                user.list_json = None

    # ------------------------------------------------------------------ users

    def _seed_users(self, count: int) -> None:
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
        records.extend(
            generate_users(self._rng, count, type_id=self.user_type_id, existing_logins={ADMIN_LOGIN})
        )
        records.sort(key=lambda user: user.id)
        self._sorted = records
        self._ids = [user.id for user in records]
        self._users = {user.id: user for user in records}
        self._by_login = {user.profile["login"].lower(): user.id for user in records}
        self._admins = {admin.id}

    @property
    def profile_attribute_names(self) -> list[str]:
        """Base then custom attribute names, in the order profiles are serialised."""
        with self._lock:
            return [name for name, _, _ in BASE_ATTRIBUTES] + list(self._custom_attributes)

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

    def _check_profile(self, profile: dict[str, Any]) -> None:
        known = BASE_ATTRIBUTE_NAMES | self._custom_attributes.keys()
        unknown = sorted(set(profile) - known)
        if unknown:
            raise ApiError(
                400,
                "E0000001",
                "Api validation failed: profile",
                [f"Property name '{name}' is not defined in profile" for name in unknown],
            )
        missing = [name for name in REQUIRED_BASE if not profile.get(name)]
        if missing:
            raise ApiError(
                400,
                "E0000001",
                "Api validation failed: profile",
                [f"{name}: The field cannot be left blank" for name in missing],
            )

    def create_user(
        self, *, profile: dict[str, Any], status: str = "ACTIVE", password: str | None = None
    ) -> dict[str, Any]:
        """Add a user and return its JSON (``None`` values are treated as unset).

        ``password`` defaults to the seeded users' documented password.
        Raises :class:`ApiError` (400 ``E0000001``) for a missing required attribute, an
        attribute not in the schema, or a login that is already taken.
        """
        if status not in USER_STATUSES:
            raise ValueError(f"Unknown status {status!r}; expected one of {USER_STATUSES}")
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
            now = self.clock.now()
            user_id = okta_id(USER_PREFIX, self._rng)
            while user_id in self._users:
                user_id = okta_id(USER_PREFIX, self._rng)
            activated = None if status in ("STAGED", "PROVISIONED") else now
            user = UserRecord(
                id=user_id,
                status=status,
                created=now,
                activated=activated,
                status_changed=now if status != "STAGED" else None,
                last_login=None,
                last_updated=now,
                password_changed=activated,
                type_id=self.user_type_id,
                profile=clean,
                password=password or "Teammate-1",
            )
            self._insert(user)
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
            return self._user_dict(user, full_links=True)

    def _touch(self, user: UserRecord) -> None:
        now = self.clock.now()
        # lastUpdated must move forward even when the clock is frozen, or incremental syncs
        # using `lastUpdated gt` would miss back-to-back changes.
        user.last_updated = max(now, user.last_updated + timedelta(milliseconds=1))
        user.list_json = None

    def set_status(self, user_id: str, status: str) -> dict[str, Any]:
        """Move the user to ``status`` (any of the 8 Okta statuses); bumps ``statusChanged``/``lastUpdated``.

        DEPROVISIONED and SUSPENDED users lose their sandbox sessions and tokens, as in Okta.
        """
        if status not in USER_STATUSES:
            raise ValueError(f"Unknown status {status!r}; expected one of {USER_STATUSES}")
        with self._lock:
            user = self._find(user_id)
            if user.status != status:
                user.status = status
                self._touch(user)
                user.status_changed = user.last_updated
                if status == "ACTIVE" and user.activated is None:
                    user.activated = user.last_updated
                if status in ("DEPROVISIONED", "SUSPENDED"):
                    self._revoke_user(user.id)
            return self._user_dict(user, full_links=True)

    def deactivate_user(self, user_id: str) -> dict[str, Any]:
        """Deactivate (status ``DEPROVISIONED``)."""
        return self.set_status(user_id, "DEPROVISIONED")

    def reactivate_user(self, user_id: str) -> dict[str, Any]:
        """Bring a user back to ``ACTIVE`` (Okta's separate activation email step is not emulated)."""
        return self.set_status(user_id, "ACTIVE")

    def delete_user(self, user_id: str) -> None:
        """Remove the user outright (Okta's two-step deactivate-then-delete is collapsed into one)."""
        with self._lock:
            user = self._find(user_id)
            self._revoke_user(user.id)
            index = bisect.bisect_left(self._ids, user.id)
            del self._ids[index]
            del self._sorted[index]
            del self._users[user.id]
            del self._by_login[user.profile["login"].lower()]
            self._admins.discard(user.id)

    def grant_admin(self, login: str) -> None:
        """Make a user an admin, so tokens minted for it may call the Management API."""
        with self._lock:
            self._admins.add(self._find(login).id)

    def get_user(self, user_id: str) -> dict[str, Any]:
        """Return one user's JSON (id or login), with the lifecycle ``_links`` of a single GET."""
        with self._lock:
            return self._user_dict(self._find(user_id), full_links=True)

    def get_user_json(self, user_id: str) -> bytes:
        """Like :meth:`get_user`, serialised."""
        return json.dumps(self.get_user(user_id), **_LIST_JSON).encode()  # type: ignore[arg-type]

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

    def _compile(self, *, search: str | None, filter_: str | None) -> Any:
        if search is not None and filter_ is not None:
            raise ApiError(400, "E0000031", errors.INVALID_SEARCH_SUMMARY, ["Use either search or filter."])
        text, mode = (search, "search") if search is not None else (filter_, "filter")
        if text is None:
            return None
        try:
            return compile_query(text, mode=mode, profile_attributes=self.profile_attribute_names)  # type: ignore[arg-type]
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
            for user in _islice_from(self._sorted, start):
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
            user.list_json = json.dumps(self._user_dict(user, full_links=False), **_LIST_JSON).encode()  # type: ignore[arg-type]
        return user.list_json

    def _user_dict(self, user: UserRecord, *, full_links: bool) -> dict[str, Any]:
        profile: dict[str, Any] = {}
        for name, _, _ in BASE_ATTRIBUTES:
            if name in user.profile:
                profile[name] = user.profile[name]
            elif name in ("mobilePhone", "secondEmail"):
                # Real responses send these two as null when unset; others are omitted (FACTS.md §2).
                profile[name] = None
        for name in self._custom_attributes:
            if name in user.profile:
                profile[name] = user.profile[name]
        base = f"{self._origin}/api/v1/users/{user.id}"
        links: dict[str, Any] = {"self": {"href": base}}
        if full_links:
            links = _lifecycle_links(user.status, base, self._origin, self.schema_id, self.user_type_id)
        credentials: dict[str, Any] = {"provider": {"type": "OKTA", "name": "OKTA"}}
        if user.password_changed is not None:
            credentials = {"password": {}, **credentials}
        return {
            "id": user.id,
            "status": user.status,
            "created": okta_timestamp(user.created),
            "activated": _ts(user.activated),
            "statusChanged": _ts(user.status_changed),
            "lastLogin": _ts(user.last_login),
            "lastUpdated": okta_timestamp(user.last_updated),
            "passwordChanged": _ts(user.password_changed),
            "type": {"id": user.type_id},
            "profile": profile,
            "credentials": credentials,
            "_links": links,
        }

    # ------------------------------------------------------------------ schema

    def add_schema_attribute(self, name: str, *, title: str, type: str = "string", **extra: Any) -> None:  # noqa: A002
        """Add (or replace) a custom profile attribute; it becomes searchable and appears in profiles."""
        if name in BASE_ATTRIBUTE_NAMES:
            raise ValueError(f"{name!r} is a base attribute")
        if type not in ATTRIBUTE_TYPES:
            raise ValueError(f"Unknown attribute type {type!r}; expected one of {sorted(ATTRIBUTE_TYPES)}")
        with self._lock:
            self._custom_attributes[name] = custom_property(title, type, dict(extra))
            self._schema_updated = self.clock.now()
            self._schema_json = None

    def user_schema(self) -> dict[str, Any]:
        """The default user schema as ``GET /api/v1/meta/schemas/user/default`` returns it."""
        with self._lock:
            return {
                "id": f"{self._origin}/meta/schemas/user/default",
                "$schema": "http://json-schema.org/draft-04/schema#",
                "name": "user",
                "title": "User",
                "description": "Okta user profile template with default permission settings",
                "lastUpdated": okta_timestamp(self._schema_updated),
                "created": okta_timestamp(self._schema_created),
                "definitions": {
                    "custom": {
                        "id": "#custom",
                        "type": "object",
                        "properties": {name: dict(prop) for name, prop in self._custom_attributes.items()},
                        "required": [],
                    },
                    "base": {
                        "id": "#base",
                        "type": "object",
                        "properties": {
                            name: base_property(name, title, extra) for name, title, extra in BASE_ATTRIBUTES
                        },
                        "required": list(REQUIRED_BASE),
                    },
                },
                "type": "object",
                "properties": {
                    "profile": {"allOf": [{"$ref": "#/definitions/custom"}, {"$ref": "#/definitions/base"}]}
                },
                "_links": {
                    "self": {
                        "rel": "self",
                        "href": f"{self._origin}/api/v1/meta/schemas/user/{self.schema_id}",
                        "method": "GET",
                    },
                    "type": {
                        "rel": "self",
                        "href": f"{self._origin}/api/v1/meta/types/user/{self.user_type_id}",
                        "method": "GET",
                    },
                },
            }

    def user_schema_json(self) -> bytes:
        """:meth:`user_schema`, serialised and cached."""
        with self._lock:
            if self._schema_json is None:
                self._schema_json = json.dumps(self.user_schema(), **_LIST_JSON).encode()  # type: ignore[arg-type]
            return self._schema_json

    # ------------------------------------------------------------------ apps

    def register_app(
        self,
        *,
        client_id: str | None = None,
        redirect_uris: list[str],
        granted_scopes: Iterable[str] = DEFAULT_APP_SCOPES,
        assign_everyone: bool = True,
        assigned_logins: Iterable[str] = (),
        refresh_leeway_seconds: int = 30,
        access_token_lifetime_seconds: int = 3600,
        name: str = "Signet",
        refresh_rotation: Literal["ROTATE", "STATIC"] = "ROTATE",
        post_logout_redirect_uris: Iterable[str] = (),
    ) -> SandboxApp:
        """Register an OIDC SPA app (public client, PKCE required, rotating refresh tokens).

        ``granted_scopes`` are the app's Okta API scope grants (okta.*); OIDC scopes
        (openid, offline_access, ...) are always allowed. ``refresh_leeway_seconds``
        must be 0-60 as in Okta (G-RT).
        """
        if not 0 <= refresh_leeway_seconds <= 60:
            raise ValueError("refresh_leeway_seconds must be between 0 and 60 (Okta's range)")
        with self._lock:
            app = SandboxApp(
                client_id=client_id or okta_id(CLIENT_PREFIX, self._rng),
                name=name,
                redirect_uris=list(redirect_uris),
                granted_scopes=frozenset(granted_scopes),
                assign_everyone=assign_everyone,
                assigned_logins=set(assigned_logins),
                refresh_leeway_seconds=refresh_leeway_seconds,
                access_token_lifetime_seconds=access_token_lifetime_seconds,
                refresh_rotation=refresh_rotation,
                post_logout_redirect_uris=list(post_logout_redirect_uris),
            )
            self._apps[app.client_id] = app
            return replace(app)

    def update_app(self, client_id: str, **changes: Any) -> SandboxApp:
        """Change a registered app's settings (same names as :meth:`register_app`); returns a copy."""
        unknown = set(changes) - _UPDATABLE_APP_FIELDS
        if unknown:
            raise ValueError(f"Unknown app settings: {sorted(unknown)}")
        with self._lock:
            app = self._apps.get(client_id)
            if app is None:
                raise KeyError(client_id)
            for key, value in changes.items():
                if key == "granted_scopes":
                    value = frozenset(value)
                elif key == "assigned_logins":
                    value = set(value)
                elif key in ("redirect_uris", "post_logout_redirect_uris"):
                    value = list(value)
                setattr(app, key, value)
            return replace(app)

    def get_app(self, client_id: str) -> SandboxApp | None:
        """A copy of the registered app, or ``None``."""
        with self._lock:
            app = self._apps.get(client_id)
            return replace(app) if app is not None else None

    def apps(self) -> list[SandboxApp]:
        """Copies of every registered app."""
        with self._lock:
            return [replace(app) for app in self._apps.values()]

    # ------------------------------------------------------------------ sign-in and authorize

    def authenticate(self, login: str, password: str) -> str | None:
        """Return the user id if ``login``/``password`` match an ACTIVE user, else ``None``."""
        with self._lock:
            user_id = self._by_login.get(login.strip().lower())
            user = self._users.get(user_id) if user_id else None
            if user is None or user.status != "ACTIVE" or user.password != password:
                return None
            user.last_login = self.clock.now()
            self._touch_login_only(user)
            return user.id

    def _touch_login_only(self, user: UserRecord) -> None:
        # lastLogin changes do not bump lastUpdated in Okta (it tracks profile/status changes).
        user.list_json = None

    def create_session(self, user_id: str) -> str:
        """Start a browser session (the ``sid`` cookie value); the oldest beyond ``MAX_SESSIONS`` end."""
        with self._lock:
            sid = opaque_token(24)
            _bounded_put(self._sessions, sid, user_id, MAX_SESSIONS)
            return sid

    def session_user(self, sid: str | None) -> str | None:
        """The user id of a live session, or ``None``."""
        if not sid:
            return None
        with self._lock:
            user_id = self._sessions.get(sid)
            user = self._users.get(user_id) if user_id else None
            if user is None or user.status != "ACTIVE":
                return None
            return user.id

    def end_session(self, sid: str | None) -> None:
        """Forget a browser session."""
        if sid:
            with self._lock:
                self._sessions.pop(sid, None)

    def user_login(self, user_id: str) -> str:
        """The login of a user id."""
        with self._lock:
            return str(self._find(user_id).profile["login"])

    def is_admin(self, user_id: str) -> bool:
        """Whether the user may call the Management API."""
        with self._lock:
            return user_id in self._admins

    def start_transaction(self, request: AuthorizeRequest) -> str:
        """Remember a validated ``/authorize`` request until sign-in and consent finish."""
        with self._lock:
            now = self.clock.now()
            for key in [k for k, pending in self._txns.items() if now - pending.created > TXN_LIFETIME]:
                del self._txns[key]
            txn = opaque_token(18)
            _bounded_put(self._txns, txn, request, MAX_TRANSACTIONS)
            return txn

    def get_transaction(self, txn: str) -> AuthorizeRequest | None:
        """The pending authorize request for ``txn``, if it has not expired."""
        with self._lock:
            pending = self._txns.get(txn)
            if pending is None or self.clock.now() - pending.created > TXN_LIFETIME:
                return None
            return pending

    def finish_transaction(self, txn: str) -> None:
        """Forget a pending authorize request."""
        with self._lock:
            self._txns.pop(txn, None)

    def issue_code(self, request: AuthorizeRequest, user_id: str) -> str:
        """Mint a single-use authorization code for a consented request."""
        with self._lock:
            code = opaque_token(32)
            self._codes[code] = AuthorizationCode(
                code=code,
                client_id=request.client_id,
                redirect_uri=request.redirect_uri,
                user_id=user_id,
                scopes=request.scopes,
                nonce=request.nonce,
                code_challenge=request.code_challenge,
                expires_at=self.clock.now() + CODE_LIFETIME,
            )
            self._count_issued()
            return code

    def _count_issued(self) -> None:
        """Count one new code or token, and sweep dead ones when enough were issued (see PRUNE_MIN_ISSUED)."""
        self._issued_since_prune += 1
        if self._issued_since_prune >= self._prune_threshold:
            self._prune()

    def _prune(self) -> None:
        """Drop what can never be accepted again; each would fail the same way as an unknown one.

        Used or expired codes and revoked or expired access tokens go. A family goes with all its
        refresh tokens once it is revoked or past its 90-day expiry; a live family keeps its used
        refresh tokens, which reuse detection needs (G-RT).
        """
        now = self.clock.now()
        self._codes = {
            key: code for key, code in self._codes.items() if not code.used and now < code.expires_at
        }
        self._access_tokens = {
            key: record
            for key, record in self._access_tokens.items()
            if not record.revoked and now < record.expires_at
        }
        for family_id, family in list(self._families.items()):
            if family.revoked or now >= family.refresh_expires_at:
                del self._families[family_id]
                for token in family.refresh_tokens:
                    self._refresh_tokens.pop(token, None)
            else:
                family.access_tokens = [
                    token for token in family.access_tokens if token in self._access_tokens
                ]
        self._issued_since_prune = 0
        live = len(self._codes) + len(self._access_tokens) + len(self._refresh_tokens)
        self._prune_threshold = max(PRUNE_MIN_ISSUED, live)

    # ------------------------------------------------------------------ token endpoint

    def require_client(self, client_id: str | None) -> SandboxApp:
        """The app for ``client_id`` or a 401 ``invalid_client`` (checked before anything else)."""
        if not client_id:
            raise OAuthError(401, "invalid_client", errors.NO_CLIENT_CREDENTIALS)
        with self._lock:
            app = self._apps.get(client_id)
            if app is None:
                raise OAuthError(401, "invalid_client", errors.INVALID_CLIENT)
            return app

    def exchange_code(
        self, *, client_id: str | None, code: str | None, redirect_uri: str | None, code_verifier: str | None
    ) -> dict[str, Any]:
        """``grant_type=authorization_code``: verify the code and PKCE, return a TokenResponse dict.

        A code works once and for 300 s (SPEC-O). It is consumed only by a successful exchange.
        """
        with self._lock:
            app = self.require_client(client_id)
            grant = self._codes.get(code or "")
            now = self.clock.now()
            if grant is None or grant.used or now >= grant.expires_at:
                raise OAuthError(400, "invalid_grant", errors.INVALID_CODE)
            if grant.client_id != app.client_id:
                raise OAuthError(400, "invalid_grant", errors.CODE_OTHER_CLIENT)
            if redirect_uri != grant.redirect_uri:
                raise OAuthError(400, "invalid_grant", errors.REDIRECT_MISMATCH)
            # authlib's RFC 7636 S256 transform: BASE64URL(SHA256(verifier)) without padding.
            if grant.code_challenge is not None and (
                not code_verifier or create_s256_code_challenge(code_verifier) != grant.code_challenge
            ):
                raise OAuthError(400, "invalid_grant", errors.PKCE_FAILED)
            user = self._users.get(grant.user_id)
            if user is None or user.status != "ACTIVE":
                raise OAuthError(400, "invalid_grant", errors.INVALID_CODE)
            grant.used = True
            return self._mint(app, user, grant.scopes, nonce=grant.nonce, family=None)

    def refresh(
        self, *, client_id: str | None, refresh_token: str | None, scope: str | None
    ) -> dict[str, Any]:
        """``grant_type=refresh_token`` with Okta's rotation, leeway and reuse detection (G-RT).

        Each use returns a new refresh token. A refresh token already used stays usable for
        ``refresh_leeway_seconds`` after its first use; a later reuse revokes the whole family
        (every refresh and access token from that grant) and fails with ``invalid_grant``.
        """
        with self._lock:
            app = self.require_client(client_id)
            now = self.clock.now()
            record = self._refresh_tokens.get(refresh_token or "")
            family = self._families.get(record.family_id) if record else None
            if record is None or family is None or record.revoked or family.revoked:
                raise OAuthError(400, "invalid_grant", errors.INVALID_REFRESH)
            if family.client_id != app.client_id or now >= family.refresh_expires_at:
                raise OAuthError(400, "invalid_grant", errors.INVALID_REFRESH)
            user = self._users.get(family.user_id)
            if user is None or user.status != "ACTIVE":
                raise OAuthError(400, "invalid_grant", errors.INVALID_REFRESH)
            reused = record.first_used is not None and app.refresh_rotation == "ROTATE"
            if reused and (now - record.first_used).total_seconds() > app.refresh_leeway_seconds:  # type: ignore[operator]
                # Reuse detected: Okta "immediately invalidates the most recently issued
                # refresh token and all access tokens issued since the user authenticated" (G-RT).
                self._revoke_family(family)
                raise OAuthError(400, "invalid_grant", errors.INVALID_REFRESH)
            scopes = family.scopes
            if scope is not None:
                requested = tuple(scope.split())
                if not requested or not set(requested) <= set(family.scopes):
                    raise OAuthError(
                        400, "invalid_scope", "The requested scope is invalid, unknown, or malformed."
                    )
                scopes = requested
            if record.first_used is None:
                record.first_used = now
            return self._mint(app, user, scopes, nonce=None, family=family, presented=record)

    def _mint(
        self,
        app: SandboxApp,
        user: UserRecord,
        scopes: tuple[str, ...],
        *,
        nonce: str | None,
        family: TokenFamily | None,
        presented: RefreshTokenRecord | None = None,
    ) -> dict[str, Any]:
        now = self.clock.now()
        if family is None and "offline_access" in scopes:
            family = TokenFamily(
                family_id=opaque_token(12),
                client_id=app.client_id,
                user_id=user.id,
                scopes=scopes,
                # Org AS refresh tokens live 90 days; rotation keeps the expiry (FACTS.md §1).
                refresh_expires_at=now + timedelta(seconds=app.refresh_token_lifetime_seconds),
            )
            self._families[family.family_id] = family
        iat = int(now.timestamp())
        lifetime = app.access_token_lifetime_seconds
        jti = "AT." + opaque_token(24)
        access_token = self.signer.sign(
            {
                "ver": 1,
                "jti": jti,
                "iss": self._origin,
                "aud": self._origin,
                "sub": user.profile["login"],
                "iat": iat,
                "exp": iat + lifetime,
                "cid": app.client_id,
                "uid": user.id,
                "scp": list(scopes),
            }
        )
        self._access_tokens[access_token] = AccessTokenRecord(
            jti=jti,
            family_id=family.family_id if family else None,
            client_id=app.client_id,
            user_id=user.id,
            scopes=frozenset(scopes),
            expires_at=now + timedelta(seconds=lifetime),
        )
        self._count_issued()
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "expires_in": lifetime,
            "access_token": access_token,
            "scope": " ".join(scopes),
        }
        if family is not None:
            family.access_tokens.append(access_token)
            if presented is not None and app.refresh_rotation == "STATIC":
                body["refresh_token"] = presented.token
            elif "offline_access" in family.scopes:
                new_rt = opaque_token(32)
                self._refresh_tokens[new_rt] = RefreshTokenRecord(token=new_rt, family_id=family.family_id)
                family.refresh_tokens.append(new_rt)
                body["refresh_token"] = new_rt
        if "openid" in scopes:
            claims: dict[str, Any] = {
                "ver": 1,
                "jti": "ID." + opaque_token(24),
                "iss": self._origin,
                "aud": app.client_id,
                "sub": user.id,
                "iat": iat,
                "exp": iat + 3600,
                "auth_time": int((user.last_login or now).timestamp()),
                "amr": ["pwd"],
                "idp": self.idp_id,
            }
            if nonce is not None:
                claims["nonce"] = nonce
            body["id_token"] = self.signer.sign(claims)
        return body

    def issue_tokens_for_tests(
        self,
        *,
        client_id: str | None = None,
        scopes: Iterable[str] = ALL_TEST_SCOPES,
        login: str | None = None,
        nonce: str | None = None,
    ) -> dict[str, Any]:
        """Mint a TokenResponse dict without the browser flow (default: the admin, the default app)."""
        with self._lock:
            app = self.require_client(client_id or self.default_app.client_id)
            user = self._find(login or ADMIN_LOGIN)
            return self._mint(app, user, tuple(scopes), nonce=nonce, family=None)

    def check_access_token(self, token: str) -> AccessTokenRecord | None:
        """The record of a live (known, unexpired, unrevoked) access token, else ``None``."""
        with self._lock:
            record = self._access_tokens.get(token)
            if record is None or record.revoked or self.clock.now() >= record.expires_at:
                return None
            return record

    def revoke_token(self, *, client_id: str | None, token: str | None) -> None:
        """``/oauth2/v1/revoke``: revoking a refresh token revokes its family (RFC 7009 §2.1)."""
        with self._lock:
            app = self.require_client(client_id)
            if not token:
                raise OAuthError(400, "invalid_request", errors.MISSING_TOKEN)
            access = self._access_tokens.get(token)
            if access is not None and access.client_id == app.client_id:
                access.revoked = True
                return
            refresh = self._refresh_tokens.get(token)
            family = self._families.get(refresh.family_id) if refresh else None
            if family is not None and family.client_id == app.client_id:
                self._revoke_family(family)
            # Unknown tokens are not an error (RFC 7009 §2.2).

    def _revoke_family(self, family: TokenFamily) -> None:
        family.revoked = True
        for token in family.access_tokens:
            # A sweep may already have dropped an expired access token that is still listed.
            access = self._access_tokens.get(token)
            if access is not None:
                access.revoked = True
        for token in family.refresh_tokens:
            self._refresh_tokens[token].revoked = True

    def _revoke_user(self, user_id: str) -> None:
        for sid in [sid for sid, uid in self._sessions.items() if uid == user_id]:
            del self._sessions[sid]
        for family in self._families.values():
            if family.user_id == user_id:
                self._revoke_family(family)
        for record in self._access_tokens.values():
            if record.user_id == user_id:
                record.revoked = True

    def revoke_tokens(self, *, client_id: str | None = None) -> int:
        """Revoke every live access and refresh token (of ``client_id`` only, if given); returns how many."""
        with self._lock:
            count = 0
            for record in self._access_tokens.values():
                if not record.revoked and (client_id is None or record.client_id == client_id):
                    record.revoked = True
                    count += 1
            for family in self._families.values():
                if client_id is None or family.client_id == client_id:
                    family.revoked = True
                    for token in family.refresh_tokens:
                        refresh = self._refresh_tokens[token]
                        if not refresh.revoked:
                            refresh.revoked = True
                            count += 1
            return count

    # ------------------------------------------------------------------ rate limits

    def set_rate_limit(self, family: str, per_minute: int) -> None:
        """Set a bucket's per-minute limit. Families: ``users_list`` (GET /api/v1/users),
        ``users_get`` (GET /api/v1/users/{id}), ``schemas`` (every other /api/v1 path),
        ``oauth2`` (/oauth2/v1/* and /.well-known/*)."""
        if family not in RATE_LIMIT_FAMILIES:
            raise ValueError(
                f"Unknown rate-limit family {family!r}; expected one of {sorted(RATE_LIMIT_FAMILIES)}"
            )
        if per_minute < 0:
            raise ValueError("per_minute must be >= 0")
        with self._lock:
            self._rate_limits[family] = per_minute

    def rate_limits(self) -> dict[str, int]:
        """The current per-minute limit of each family."""
        with self._lock:
            return dict(self._rate_limits)

    def reset_rate_limits(self) -> None:
        """Restore the default limits and empty every bucket's count."""
        with self._lock:
            self._rate_limits = dict(DEFAULT_RATE_LIMITS)
            self._buckets.clear()

    def _bucket(self, family: str) -> tuple[int, int, int]:
        """``(limit, window start epoch, requests used in it)`` for the current clock minute."""
        now_epoch = int(self.clock.now().timestamp())
        window = now_epoch - now_epoch % 60
        start, used = self._buckets.get(family, (window, 0))
        return self._rate_limits[family], window, used if start == window else 0

    def consume_rate_limit(self, family: str) -> RateLimitStatus:
        """Count one request against ``family``'s bucket for the current clock minute."""
        with self._lock:
            limit, window, used = self._bucket(family)
            if used >= limit:
                return RateLimitStatus(family, False, limit, 0, window + 60)
            self._buckets[family] = (window, used + 1)
            return RateLimitStatus(family, True, limit, limit - used - 1, window + 60)

    def peek_rate_limit(self, family: str) -> RateLimitStatus:
        """A bucket's state without counting a request."""
        with self._lock:
            limit, window, used = self._bucket(family)
            return RateLimitStatus(family, used < limit, limit, max(0, limit - used), window + 60)

    # ------------------------------------------------------------------ faults

    def inject_fault(
        self,
        kind: str,
        *,
        count: int = 1,
        path_prefix: str | None = None,
        status: int | None = None,
        latency_seconds: float = 0.0,
    ) -> None:
        """Make the next ``count`` requests (whose path starts with ``path_prefix``, if given) fail.

        Kinds: ``http_error`` (``status`` 500 default, or 503), ``rate_limit`` (429 E0000047),
        ``latency`` (sleep ``latency_seconds`` of real time, then answer normally), ``drop``
        (close the connection without a response), ``malformed_json`` (a 200 whose JSON body is
        cut in half). Faults queue in order; the control API is never affected.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"Unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        if kind == "http_error" and status not in (None, 500, 502, 503, 504):
            raise ValueError("http_error status must be 500, 502, 503 or 504")
        if count < 1:
            raise ValueError("count must be >= 1")
        with self._lock:
            self._faults.append(Fault(kind, count, path_prefix, status, latency_seconds))

    def take_fault(self, path: str) -> Fault | None:
        """Consume one use of the first queued fault matching ``path`` (used by the server)."""
        with self._lock:
            for fault in self._faults:
                if fault.path_prefix is None or path.startswith(fault.path_prefix):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return replace(fault)
            return None

    def clear_faults(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._faults.clear()

    def pending_faults(self) -> list[Fault]:
        """Copies of the queued faults."""
        with self._lock:
            return [replace(fault) for fault in self._faults]

    # ------------------------------------------------------------------ request log

    def record_request(self, record: RequestRecord) -> None:
        """Append to the request log (the server calls this for every non-control request)."""
        with self._lock:
            self._log.append(record)

    def request_log(self) -> list[RequestRecord]:
        """Requests that reached the sandbox, oldest first (the last 10,000)."""
        with self._lock:
            return list(self._log)

    def clear_request_log(self) -> None:
        """Forget recorded requests."""
        with self._lock:
            self._log.clear()

    def count_requests(self, *, path: str, grant_type: str | None = None, method: str | None = None) -> int:
        """How many logged requests hit ``path`` (and had that ``grant_type``/``method``, if given)."""
        with self._lock:
            return sum(
                1
                for record in self._log
                if record.path == path
                and (grant_type is None or record.grant_type == grant_type)
                and (method is None or record.method == method.upper())
            )

    # ------------------------------------------------------------------ control-API helpers

    def describe(self) -> dict[str, Any]:
        """A JSON-able summary: origin, apps, admin sign-in, counts, limits, clock."""
        with self._lock:
            return {
                "origin": self._origin,
                "issuer": self._origin,
                "seed": self.seed,
                "users": len(self._sorted),
                "admin": {"login": self.admin_login, "password": self.admin_password},
                "apps": [app_to_json(app) for app in self._apps.values()],
                "defaultClientId": self.default_app.client_id,
                "rateLimits": dict(self._rate_limits),
                "clock": {"now": okta_timestamp(self.clock.now()), "frozen": self.clock.frozen},
            }


def app_to_json(app: SandboxApp) -> dict[str, Any]:
    """A registered app as JSON (sets become sorted lists)."""
    data = asdict(app)
    data["granted_scopes"] = sorted(app.granted_scopes)
    data["assigned_logins"] = sorted(app.assigned_logins)
    return data


def pkce_challenge(verifier: str) -> str:
    """The S256 ``code_challenge`` for ``verifier`` (re-exported for clients and tests)."""
    return str(create_s256_code_challenge(verifier))


def _bounded_put(mapping: dict[str, Any], key: str, value: Any, limit: int) -> None:
    """Insert ``key``; beyond ``limit`` entries, forget the oldest (dicts keep insertion order)."""
    mapping[key] = value
    while len(mapping) > limit:
        del mapping[next(iter(mapping))]


def _ts(value: datetime | None) -> str | None:
    return okta_timestamp(value) if value is not None else None


def _islice_from(items: list[UserRecord], start: int) -> Iterator[UserRecord]:
    for index in range(start, len(items)):
        yield items[index]


def _lifecycle_links(status: str, base: str, origin: str, schema_id: str, type_id: str) -> dict[str, Any]:
    """Single-GET ``_links`` by status, after the real recorded responses (FACTS.md §2)."""
    post = {"method": "POST"}
    links: dict[str, Any] = {}
    if status == "ACTIVE":
        links["suspend"] = {"href": f"{base}/lifecycle/suspend", **post}
        links["resetPassword"] = {"href": f"{base}/lifecycle/reset_password", **post}
        links["expirePassword"] = {"href": f"{base}/lifecycle/expire_password", **post}
        links["resetFactors"] = {"href": f"{base}/lifecycle/reset_factors", **post}
        links["changePassword"] = {"href": f"{base}/credentials/change_password", **post}
    elif status == "SUSPENDED":
        links["unsuspend"] = {"href": f"{base}/lifecycle/unsuspend", **post}
    elif status == "LOCKED_OUT":
        links["unlock"] = {"href": f"{base}/lifecycle/unlock", **post}
    elif status in ("STAGED", "PROVISIONED", "DEPROVISIONED"):
        links["activate"] = {"href": f"{base}/lifecycle/activate", **post}
    if status == "PROVISIONED":
        links["reactivate"] = {"href": f"{base}/lifecycle/reactivate", **post}
    links["schema"] = {"href": f"{origin}/api/v1/meta/schemas/user/{schema_id}"}
    links["self"] = {"href": base}
    links["type"] = {"href": f"{origin}/api/v1/meta/types/user/{type_id}"}
    if status != "DEPROVISIONED":
        links["deactivate"] = {"href": f"{base}/lifecycle/deactivate", **post}
    return links
