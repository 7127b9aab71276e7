"""Okta as a `DirectorySource`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from webapp.sources.base import DirectoryAttribute, DirectoryCheck, DirectoryProfile
from webapp.sources.okta.api import OktaApi

# Re-read a little before the watermark: Okta's lastUpdated has millisecond precision and reads
# may lag slightly, so an overlap plus an idempotent upsert misses nothing (PITFALLS 4.3, 4.4).
INCREMENTAL_OVERLAP = timedelta(minutes=2)


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


class OktaDirectory:
    """Reads users and the user schema from one Okta org."""

    def __init__(self, *, origin: str, api: OktaApi) -> None:
        self._origin = origin
        self._api = api

    def check(self) -> DirectoryCheck:
        """`GET /api/v1/users?limit=1`, then the schema: two Management API calls, nothing more.

        Users are not counted here: at 200 a page and 50 calls a minute in some orgs (FACTS §8),
        counting belongs to the first sync, which reads every page anyway.
        """
        next(self._api.iter_user_pages(params={"limit": 1}), None)
        return DirectoryCheck(source_label=urlsplit(self._origin).netloc, attributes=self.attributes())

    def attributes(self) -> list[DirectoryAttribute]:
        """Base attributes in Okta's order, then custom ones."""
        schema = self._api.user_schema()
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
                    )
                )
        return result

    def iter_profiles(self, *, updated_since: datetime | None = None) -> Iterator[DirectoryProfile]:
        """All users, DEPROVISIONED included (a plain listing hides them, a filter does not; FACTS §2)."""
        # A `filter` (unlike a plain listing) returns every status, so leavers are seen too; with no
        # watermark, "changed since the epoch" is simply everyone.
        since = (
            format_okta_timestamp(updated_since - INCREMENTAL_OVERLAP)
            if updated_since
            else "1970-01-01T00:00:00.000Z"
        )
        params = {"filter": f'lastUpdated gt "{since}"'}
        for page in self._api.iter_user_pages(params=params):
            for user in page:
                profile = user.get("profile")
                yield DirectoryProfile(
                    external_id=str(user.get("id", "")),
                    status=str(user.get("status", "")),
                    updated_at=parse_okta_timestamp(user.get("lastUpdated")),
                    attributes=dict(profile) if isinstance(profile, dict) else {},
                )
