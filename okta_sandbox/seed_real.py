"""What real orgs send that tidy seed data would not: the seed's second, "real data" generator.

Signet's sync was replayed against real recorded Okta users (issue 16; FACTS.md §2, §3, §8). Real
users almost never have ``displayName`` (1 of 209), a share is STAGED (12 of 209) or in another
not-plain-ACTIVE status, a few carry ``transitioningToStatus``, phones are often typed nationally
(``020 7946 0123``, no ``+44``) or are not valid numbers at all, custom attributes are enums whose
values only read well through their ``oneOf`` titles, and unset attributes are omitted, not null.

Every decision here comes from its own generator (seeded from the org seed) with a fixed number of
draws per teammate, so ids, logins, names and every value the main generator draws stay what they
were before these traits existed (the same approach as the custom attributes' generator).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from okta_sandbox.models import UserRecord
from okta_sandbox.seed_data import CERTIFICATIONS, Place

# About one teammate in eight keeps a displayName (real data: 1 of 209; the sandbox keeps a few more
# so that the attribute still shows up in small orgs).
DISPLAY_NAME_SHARE = 0.12
# Extra statuses for teammates the main generator made ACTIVE: (status, cumulative share).
# With the main generator's own 14 % spread over seven statuses, about 6 % end up STAGED.
_EXTRA_STATUSES: tuple[tuple[str, float], ...] = (
    ("STAGED", 0.055),
    ("PROVISIONED", 0.08),
    ("PASSWORD_EXPIRED", 0.10),
    ("RECOVERY", 0.11),
    ("LOCKED_OUT", 0.12),
)
NOT_STARTED = frozenset({"STAGED", "PROVISIONED"})
# A phone roll below this is not a valid number; below _NATIONAL it is written nationally (below
# _NATIONAL_DIGITS as bare digits, "02079460123"); above, as the place's own format (mostly +country).
_INVALID = 0.03
_NATIONAL_DIGITS = 0.12
_NATIONAL = 0.38
# Numbers real directories hold that are not phone numbers anyone can dial (issue 16: 1112223333).
INVALID_PHONES: tuple[str, ...] = ("1112223333", "000-000-0000", "ext. {last4}")


@dataclass(frozen=True, slots=True)
class RealTraits:
    """One teammate's real-data decisions, drawn all at once."""

    display_name: float
    status: float
    transition: float
    primary_phone: float
    mobile_phone: float
    office: float
    certifications: float
    certification_pick: float

    @classmethod
    def draw(cls, rng: random.Random) -> RealTraits:
        """One draw per field, whatever is decided later, so one teammate's traits never shift the
        next one's (spelt out: a generator costs 100,000 users ~0.2 s)."""
        draw = rng.random
        return cls(draw(), draw(), draw(), draw(), draw(), draw(), draw(), draw())

    @property
    def keeps_display_name(self) -> bool:
        """Whether this teammate's profile has a ``displayName``."""
        return self.display_name < DISPLAY_NAME_SHARE


def final_status(traits: RealTraits, status: str, *, is_manager: bool) -> str:
    """``status``, or for a teammate drawn ACTIVE sometimes a realistic other one.

    Managers are never made STAGED or PROVISIONED: others already report to them.
    """
    if status != "ACTIVE":
        return status
    for candidate, share in _EXTRA_STATUSES:
        if traits.status < share:
            return "ACTIVE" if is_manager and candidate in NOT_STARTED else candidate
    return status


def transitioning(traits: RealTraits, status: str) -> str | None:
    """``transitioningToStatus`` for a few teammates: STAGED ones being activated, ACTIVE ones being
    deactivated (SPEC-M activateUser/deactivateUser: "ACTIVE during activation", "DEPROVISIONED
    during deactivation")."""
    if status == "STAGED" and traits.transition < 0.2:
        return "ACTIVE"
    if status == "ACTIVE" and traits.transition < 0.005:
        return "DEPROVISIONED"
    return None


def phone(digits: str, place: Place, roll: float) -> str:
    """The number with ``digits`` as a real directory holds it: the place's format, national, bare
    digits, or (rarely) not a valid number."""
    if roll < _INVALID:
        invalid = INVALID_PHONES[int(roll / _INVALID * len(INVALID_PHONES))]
        return invalid.format(last4=digits[-4:])
    if roll < _NATIONAL:
        national = fill(place.national_format, digits)
        return "".join(ch for ch in national if ch.isdigit()) if roll < _NATIONAL_DIGITS else national
    return fill(place.phone_format, digits)


def fill(pattern: str, digits: str) -> str:
    """``pattern`` with each ``#`` replaced by the next of ``digits``."""
    return pattern.replace("#", "{}").format(*digits) if digits else pattern


def enum_values(traits: RealTraits, place: Place) -> dict[str, Any]:
    """``officeCode`` and ``certifications`` (enum values, shown by Okta's titles); often unset."""
    values: dict[str, Any] = {}
    if traits.office >= 0.1:
        values["officeCode"] = "REMOTE" if traits.office < 0.18 else place.office
    if traits.certifications < 0.25:
        first = int(traits.certification_pick * len(CERTIFICATIONS))
        picked = [CERTIFICATIONS[first][0]]
        if traits.certifications < 0.08:
            picked.append(CERTIFICATIONS[(first + 1) % len(CERTIFICATIONS)][0])
        values["certifications"] = picked
    return values


def settle_timestamps(user: UserRecord, drawn_status: str) -> None:
    """Make a teammate's timestamps fit its final status when it differs from the drawn one.

    The record's times were drawn for ``drawn_status`` (so the main generator's draws are unchanged);
    a teammate who has not started has never been activated, signed in or set a password, and a
    STAGED one has no ``statusChanged`` (as Okta's STAGED users show).
    """
    if user.status == drawn_status or user.status not in NOT_STARTED:
        return
    user.activated = None
    user.last_login = None
    user.password_changed = None
    if user.status == "STAGED":
        user.status_changed = None
