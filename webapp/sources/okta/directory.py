"""Okta as a `DirectorySource`."""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from webapp.sources.base import (
    DirectoryAttribute,
    DirectoryCheck,
    DirectoryPage,
    DirectoryProfile,
    RequestObserver,
    TeammateState,
)
from webapp.sources.okta.api import PAGE_LIMIT, OktaApi
from webapp.sources.okta.errors import OktaApiError, OktaUnreachableError
from webapp.sources.okta.http import OBSERVER, RESERVE
from webapp.sources.okta.schema_details import attribute_details

SOURCE_KEY = "okta"
# Re-read a little before the watermark: Okta's lastUpdated has millisecond precision and reads
# may lag slightly, so an overlap plus an idempotent upsert misses nothing (PITFALLS 4.3, 4.4).
INCREMENTAL_OVERLAP = timedelta(minutes=2)
# "Changed since the epoch" is everyone: a `filter` (unlike a plain listing) returns every status,
# DEPROVISIONED included (FACTS §2), so a full sync sees leavers too.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Okta's eight user statuses mapped onto Signet's three states
# (https://developer.okta.com/docs/concepts/user-lifecycle/ and the `UserStatus` enum of Okta's
# management spec). STAGED: created, never activated (often a future hire). PROVISIONED: activated,
# the user has not set a password yet. RECOVERY, PASSWORD_EXPIRED and LOCKED_OUT are people at work
# with a credential problem. SUSPENDED and DEPROVISIONED are leavers (a deleted user is simply gone).
OKTA_STATES: dict[str, TeammateState] = {
    "STAGED": TeammateState.NOT_YET_ACTIVE,
    "PROVISIONED": TeammateState.ACTIVE,
    "ACTIVE": TeammateState.ACTIVE,
    "RECOVERY": TeammateState.ACTIVE,
    "PASSWORD_EXPIRED": TeammateState.ACTIVE,
    "LOCKED_OUT": TeammateState.ACTIVE,
    "SUSPENDED": TeammateState.INACTIVE,
    "DEPROVISIONED": TeammateState.INACTIVE,
}
# Okta statuses of people who are not (or no longer) at work: their signatures are retired.
INACTIVE_STATUSES = frozenset(
    status for status, state in OKTA_STATES.items() if state is TeammateState.INACTIVE
)
# Okta's `transitioningToStatus` values (set only while a lifecycle change is in progress).
TRANSITIONING_STATUSES = frozenset({"ACTIVE", "DEPROVISIONED", "PROVISIONED"})
# A page whose request failed after the transport's own retries (5xx, timeouts, drops) or whose
# body was not the JSON list Okta sends is asked for again, this many times in all, with capped
# exponential backoff and jitter; then the listing stops with a clear error.
PAGE_ATTEMPTS = 4
# Okta user ids: `00u` and 17 letters or digits (FACTS §2, recorded responses). Anything else is
# never put into a filter, whoever sent it.
OKTA_USER_ID = re.compile(r"00u[A-Za-z0-9]{17}")
# Users looked up by id per request (`filter=id eq "..." or id eq "..."`). Once percent-encoded each
# id adds about 44 characters (`id%20eq%20%2200u...%22%20or%20`), so 40 keep the whole URL near
# 1,900 characters: under the ~2,000 some proxies, CDNs and WAFs accept, far under the 8 KB of
# common servers (Apache LimitRequestLine 8,190; nginx large_client_header_buffers 8k); Okta does
# not document its own limit. 40 users also always fit on one page (200): one request per batch.
LOOKUP_BATCH_SIZE = 40
PAGE_BACKOFF_BASE = 1.0
PAGE_BACKOFF_CAP = 15.0


def parse_okta_timestamp(value: Any) -> datetime | None:
    """Okta's `2024-05-05T18:15:44.000Z` as an aware datetime; None if absent or malformed."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def format_okta_timestamp(moment: datetime) -> str:
    """An aware datetime in the millisecond form Okta's filters expect."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def okta_state(status: str) -> TeammateState:
    """Signet's state for an Okta status. A status Okta adds later counts as active, as every
    status but the two leaver ones did before Signet knew of STAGED (no one loses a signature to
    a word Signet has never seen)."""
    return OKTA_STATES.get(status, TeammateState.ACTIVE)


def transitioning_status(value: Any) -> str | None:
    """Okta's `transitioningToStatus` if it is one of its documented values, else None (untrusted)."""
    return value if isinstance(value, str) and value in TRANSITIONING_STATUSES else None


def profile_from_user(user: dict[str, Any]) -> DirectoryProfile:
    """One Okta user (list form) as a `DirectoryProfile`: every profile attribute kept as sent."""
    raw = user.get("profile")
    attributes: dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}
    status = str(user.get("status") or "")
    return DirectoryProfile(
        external_id=str(user.get("id") or ""),
        status=status,
        updated_at=parse_okta_timestamp(user.get("lastUpdated")),
        attributes=attributes,
        state=okta_state(status),
        email=_text(attributes.get("email")) or None,
        display_name=_display_name(attributes),
        transitioning_to_status=transitioning_status(user.get("transitioningToStatus")),
    )


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _display_name(profile: dict[str, Any]) -> str:
    """`displayName`, else first and last name, else the login."""
    shown = _text(profile.get("displayName"))
    if shown:
        return shown[:300]
    full = " ".join(
        part for part in (_text(profile.get("firstName")), _text(profile.get("lastName"))) if part
    )
    return (full or _text(profile.get("login")))[:300]


class _PageRequests:
    """Counts one page's requests and passes every event on to the caller's observer."""

    def __init__(self, observer: RequestObserver | None) -> None:
        self.observer = observer
        self.count = 0
        self._lock = threading.Lock()

    def request_sent(self) -> None:
        with self._lock:
            self.count += 1
        if self.observer is not None:
            self.observer.request_sent()

    def waiting(self, seconds: float, *, rate_limited: bool) -> None:
        if self.observer is not None:
            self.observer.waiting(seconds, rate_limited=rate_limited)


class OktaDirectory:
    """Reads users and the user schema from one Okta org.

    `reserve_fraction` is the share of each rate-limit bucket the listing leaves to the org's other
    apps (None: the process-wide OKTA_RATE_LIMIT_RESERVE); `page_size` is the listing's `limit`
    (Okta's maximum, 200, unless a test wants many small pages); `sleep` and `jitter` pace page
    retries.
    """

    key = SOURCE_KEY
    lookup_batch_size = LOOKUP_BATCH_SIZE

    def __init__(
        self,
        *,
        origin: str,
        api: OktaApi,
        reserve_fraction: float | None = None,
        page_size: int = PAGE_LIMIT,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._origin = origin
        self._api = api
        self._reserve_fraction = reserve_fraction
        self._page_size = max(1, min(PAGE_LIMIT, page_size))
        self._sleep = sleep
        self._jitter = jitter

    def check(self) -> DirectoryCheck:
        """`GET /api/v1/users?limit=1`, then the schema: two Management API calls, nothing more.

        Users are not counted here: at 200 a page and 50 calls a minute in some orgs (FACTS §8),
        counting belongs to the first sync, which reads every page anyway.
        """
        next(self._api.iter_user_pages(params={"limit": 1}), None)
        return DirectoryCheck(source_label=urlsplit(self._origin).netloc, attributes=self.attributes())

    def attributes(self) -> list[DirectoryAttribute]:
        """Base attributes in Okta's order, then custom ones."""
        return self.read_schema()

    def read_schema(self, *, observer: RequestObserver | None = None) -> list[DirectoryAttribute]:
        """`GET /api/v1/meta/schemas/user/default`: base attributes in Okta's order, then custom ones."""
        if observer is None:
            schema = self._api.user_schema()
        else:
            body = self._api.get(
                "/api/v1/meta/schemas/user/default", extensions=self._extensions(observer)
            ).json()
            schema = body if isinstance(body, dict) else {}
        definitions = schema.get("definitions", {}) if isinstance(schema.get("definitions"), dict) else {}
        result: list[DirectoryAttribute] = []
        for group in ("base", "custom"):
            section = definitions.get(group, {})
            properties = section.get("properties", {}) if isinstance(section, dict) else {}
            if not isinstance(properties, dict):
                continue
            for name, spec in properties.items():
                spec = spec if isinstance(spec, dict) else {}
                result.append(
                    DirectoryAttribute(
                        name=str(name),
                        title=str(spec.get("title") or name),
                        type=str(spec.get("type") or "string"),
                        custom=group == "custom",
                        details=attribute_details(spec),
                    )
                )
        return result

    def iter_profiles(self, *, updated_since: datetime | None = None) -> Iterator[DirectoryProfile]:
        """All users, DEPROVISIONED included (a plain listing hides them, a filter does not; FACTS §2).

        With `updated_since`, users changed after it minus `INCREMENTAL_OVERLAP`."""
        since = updated_since - INCREMENTAL_OVERLAP if updated_since else None
        for page in self.iter_pages(updated_since=since):
            yield from page.profiles

    def iter_pages(
        self, *, updated_since: datetime | None = None, observer: RequestObserver | None = None
    ) -> Iterator[DirectoryPage]:
        """Pages of `GET /api/v1/users?filter=lastUpdated gt "<updated_since>"&limit=200`
        (everyone when `updated_since` is None).

        Every status is listed (a filter includes DEPROVISIONED; FACTS §2). `Link: rel="next"` is
        followed as an opaque URL until there is none, or it repeats `self` (Okta sometimes sends
        one on the last page; STYLE §6) or a page already read. Users come in id order, not by
        `lastUpdated`, so callers must not treat a page's stamp as a point reached in time.
        """
        since = format_okta_timestamp(updated_since or EPOCH)
        return self._filtered_pages(f'lastUpdated gt "{since}"', observer=observer)

    def lookup_users(
        self, external_ids: Sequence[str], *, observer: RequestObserver | None = None
    ) -> list[DirectoryProfile]:
        """The current data of `external_ids`, by `GET /api/v1/users?filter=id eq "..." or id eq "..."`
        in batches of `LOOKUP_BATCH_SIZE` (one request each). A filter returns every status,
        DEPROVISIONED included, with up-to-date data (FACTS §2); a deleted user is simply absent.
        Ids not shaped like Okta's are skipped; users Okta returns that were not asked for are dropped.
        """
        wanted = [
            external_id for external_id in dict.fromkeys(external_ids) if OKTA_USER_ID.fullmatch(external_id)
        ]
        found: list[DirectoryProfile] = []
        for start in range(0, len(wanted), LOOKUP_BATCH_SIZE):
            batch = wanted[start : start + LOOKUP_BATCH_SIZE]
            expression = " or ".join(f'id eq "{external_id}"' for external_id in batch)
            for page in self._filtered_pages(expression, observer=observer):
                found.extend(profile for profile in page.profiles if profile.external_id in batch)
        return found

    def _filtered_pages(
        self, expression: str, *, observer: RequestObserver | None
    ) -> Iterator[DirectoryPage]:
        """Pages of `GET /api/v1/users?filter=<expression>&limit=<page size>`, links followed."""
        url: str = "/api/v1/users"
        params: dict[str, Any] | None = {"limit": self._page_size, "filter": expression}
        seen: set[str] = set()
        while True:
            counter = _PageRequests(observer)
            response, users = self._read_page(url, params, counter)
            profiles = [profile_from_user(user) for user in users]
            stamps = [profile.updated_at for profile in profiles if profile.updated_at is not None]
            next_url = response.links.get("next", {}).get("url")
            self_url = response.links.get("self", {}).get("url")
            last = not next_url or next_url == self_url or next_url in seen
            yield DirectoryPage(
                profiles=profiles,
                max_updated_at=max(stamps, default=None),
                requests=counter.count,
                is_last=last,
            )
            if last or next_url is None:
                return
            seen.add(next_url)
            url, params = next_url, None

    def _extensions(self, observer: RequestObserver) -> dict[str, Any]:
        extensions: dict[str, Any] = {OBSERVER: observer}
        if self._reserve_fraction is not None:
            extensions[RESERVE] = self._reserve_fraction
        return extensions

    def _read_page(
        self, url: str, params: dict[str, Any] | None, counter: _PageRequests
    ) -> tuple[httpx.Response, list[dict[str, Any]]]:
        """One page, asked for again after failures that may heal (see `PAGE_ATTEMPTS`)."""
        failures = 0
        while True:
            try:
                response = self._api.get(url, params=params, extensions=self._extensions(counter))
                body = json.loads(response.content)
                if not isinstance(body, list):
                    raise ValueError("not a list")
                return response, [user for user in body if isinstance(user, dict)]
            except (OktaUnreachableError, OktaApiError, ValueError) as error:
                if not _may_heal(error):
                    raise
                failures += 1
                if failures >= PAGE_ATTEMPTS:
                    raise OktaUnreachableError(
                        f"Okta kept failing while Signet listed users ({failures} attempts at one page; "
                        f"last: {_describe(error)}). Nothing was lost: the next sync starts over from "
                        "where the last complete one ended."
                    ) from error
                delay = min(PAGE_BACKOFF_CAP, PAGE_BACKOFF_BASE * 2.0 ** (failures - 1)) * (
                    0.5 + self._jitter()
                )
                counter.waiting(delay, rate_limited=False)
                self._sleep(delay)


def _may_heal(error: Exception) -> bool:
    """Timeouts, dropped connections, 5xx and garbled bodies may heal; 4xx and 429s are final here
    (the transport already waited for the rate limit as long as the call allowed)."""
    if isinstance(error, OktaApiError):
        return error.status >= 500
    return True


def _describe(error: Exception) -> str:
    if isinstance(error, ValueError):
        return "a malformed response"
    return str(error).rstrip(".")
