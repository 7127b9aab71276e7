"""A :class:`UserRecord` as the Users API serialises it (SPEC-M ``User``, FACTS.md §2)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from okta_sandbox.clock import okta_timestamp
from okta_sandbox.models import UserRecord
from okta_sandbox.schema import BASE_ATTRIBUTES

# Real responses send these two as null when unset; other unset attributes are omitted (FACTS.md §2).
_ALWAYS_SENT = frozenset({"mobilePhone", "secondEmail"})


@dataclass(frozen=True, slots=True)
class UsersPage:
    """One page of ``GET /api/v1/users``: serialised users and the ``after`` cursor, if any."""

    items: list[bytes]
    next_after: str | None

    def json_bytes(self) -> bytes:
        """The page as a JSON array."""
        return b"[" + b",".join(self.items) + b"]"


@dataclass(frozen=True, slots=True)
class OrgContext:
    """What a user's JSON needs from the org: link hosts and ids."""

    origin: str
    schema_id: str
    type_id: str


def user_to_dict(
    user: UserRecord, custom_names: Iterable[str], org: OrgContext, *, full_links: bool
) -> dict[str, Any]:
    """The user's JSON: base attributes in schema order, then custom ones; ``_links`` by form."""
    profile: dict[str, Any] = {}
    for name, _, _ in BASE_ATTRIBUTES:
        if name in user.profile:
            profile[name] = user.profile[name]
        elif name in _ALWAYS_SENT:
            profile[name] = None
    for name in custom_names:
        if name in user.profile:
            profile[name] = user.profile[name]
    base = f"{org.origin}/api/v1/users/{user.id}"
    links: dict[str, Any] = {"self": {"href": base}}
    if full_links:
        links = lifecycle_links(user.status, base, org)
    credentials: dict[str, Any] = {"provider": {"type": "OKTA", "name": "OKTA"}}
    if user.password_changed is not None:
        credentials = {"password": {}, **credentials}
    head: dict[str, Any] = {"id": user.id, "status": user.status}
    if user.transitioning_to_status is not None:
        # "only returned if the user's state is transitioning" (SPEC-M ``User.transitioningToStatus``).
        head["transitioningToStatus"] = user.transitioning_to_status
    return {
        **head,
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


def lifecycle_links(status: str, base: str, org: OrgContext) -> dict[str, Any]:
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
    links["schema"] = {"href": f"{org.origin}/api/v1/meta/schemas/user/{org.schema_id}"}
    links["self"] = {"href": base}
    links["type"] = {"href": f"{org.origin}/api/v1/meta/types/user/{org.type_id}"}
    if status != "DEPROVISIONED":
        links["deactivate"] = {"href": f"{base}/lifecycle/deactivate", **post}
    return links


def _ts(value: datetime | None) -> str | None:
    return okta_timestamp(value) if value is not None else None
