"""Why a signature changed: the cause recorded with each history row, and how it reads in words.

A `Cause` says what set off a re-render (an Okta change, a publish, a rule or smart-field change,
an admin). Each history row stores it as JSON together with what is known per teammate: the Okta
attributes that changed in that sync run (from `TeammateChange`), and the template and rule the
teammate got, by name as they were then (templates and rules can be renamed or deleted later).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from webapp.rules.evaluate import AssignmentReason
from webapp.signatures.models import CauseKind
from webapp.teammates.models import ChangeKind

# A value shown in a sentence is cut after this many characters.
VALUE_MAX_CHARS = 80


@dataclass(frozen=True)
class Cause:
    """What set off a re-render; `to_json` is what history rows keep (plus per-teammate details)."""

    kind: CauseKind
    sync_run_id: int | None = None
    template_id: int | None = None
    template_version: int | None = None
    template_name: str = ""
    rule_id: int | None = None
    rule_name: str = ""
    field_keys: frozenset[str] = field(default_factory=frozenset)
    actor: str = ""

    def to_json(self) -> dict[str, Any]:
        """The cause as stored in `SignatureChange.cause` (empty details left out)."""
        data: dict[str, Any] = {"kind": self.kind.value}
        for name in ("sync_run_id", "template_id", "template_version", "rule_id"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        for name in ("template_name", "rule_name", "actor"):
            if getattr(self, name):
                data[name] = getattr(self, name)
        if self.field_keys:
            data["field_keys"] = sorted(self.field_keys)
        return data


@dataclass(frozen=True)
class OktaDetails:
    """What one sync run recorded for one teammate: attribute changes and lifecycle events."""

    changes: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    events: tuple[str, ...] = ()  # ChangeKind values, in order
    status: tuple[str | None, str | None] | None = None


def merge_okta_rows(rows: Sequence[Any]) -> OktaDetails:
    """Fold a teammate's `TeammateChange` rows of one run (oldest first) into one `OktaDetails`."""
    changes: dict[str, list[Any]] = {}
    events: list[str] = []
    status_from: str | None = None
    status_to: str | None = None
    for row in rows:
        events.append(str(row.kind))
        for name, values in (row.changes or {}).items():
            if name in changes:
                changes[name][1] = values[1]
            else:
                changes[name] = [values[0], values[1]]
        if row.status_to is not None:
            status_from = status_from if status_from is not None else row.status_from
            status_to = row.status_to
    status = (status_from, status_to) if status_to is not None else None
    return OktaDetails(changes=changes, events=tuple(events), status=status)


def _plain(value: Any) -> str:
    """A profile value as text (arrays joined with commas)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_plain(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _value(value: Any) -> str:
    """A profile value as it reads in a sentence: quoted, cut when long, "empty" for nothing."""
    text = _plain(value)
    if not text:
        return "empty"
    if len(text) > VALUE_MAX_CHARS:
        text = text[: VALUE_MAX_CHARS - 1] + "…"
    return f"“{text}”"


def okta_sentences(cause: Mapping[str, Any]) -> list[str]:
    """The Okta part of a stored cause, in words."""
    sentences: list[str] = []
    events = cause.get("okta_events") or []
    if ChangeKind.CREATED in events:
        sentences.append("Okta: first synced")
    if ChangeKind.REACTIVATED in events:
        sentences.append("Okta: reactivated")
    for name, values in sorted((cause.get("okta_changes") or {}).items()):
        if isinstance(values, list) and len(values) == 2:
            sentences.append(f"Okta: {name} changed from {_value(values[0])} to {_value(values[1])}")
    if ChangeKind.REMOVED in events:
        sentences.append("Okta: removed from Okta")
    elif ChangeKind.DEACTIVATED in events:
        sentences.append("Okta: deactivated in Okta")
    status = cause.get("okta_status")
    if not sentences and isinstance(status, list) and len(status) == 2:
        sentences.append(f"Okta: status changed from {_value(status[0])} to {_value(status[1])}")
    return sentences or ["Okta: the teammate's record changed"]


def assignment_sentence(cause: Mapping[str, Any]) -> str:
    """Which template the teammate got and why, from the per-teammate part of a stored cause."""
    reason = cause.get("reason")
    name = cause.get("assigned_template_name") or "a template"
    if reason == AssignmentReason.RULE:
        return f"Rule “{cause.get('assigned_rule_name') or 'unnamed'}” now matches: template “{name}”"
    if reason == AssignmentReason.MANUAL:
        return f"Assigned by hand: template “{name}”"
    if reason == AssignmentReason.DEFAULT:
        return f"No rule matches: the default template “{name}”"
    if reason == AssignmentReason.INACTIVE:
        return "The teammate is inactive"
    if reason == AssignmentReason.NOT_YET_ACTIVE:
        return "The teammate is not yet active in Okta (STAGED)"
    return "No rule matches and there is no default template"


def removal_reason(cause: Mapping[str, Any]) -> str:
    """Why a teammate no longer has a signature, as the end of "Signature removed: ..."."""
    reason = cause.get("reason")
    if reason == AssignmentReason.INACTIVE:
        removed = ChangeKind.REMOVED in (cause.get("okta_events") or [])
        return "removed from Okta" if removed else "deactivated in Okta"
    if reason == AssignmentReason.NOT_YET_ACTIVE:
        return "not yet active in Okta (STAGED), and teammates not yet active get no signature"
    if reason == AssignmentReason.MANUAL:
        return "“no signature” assigned by hand"
    return "no rule matches and there is no default template"


def describe(
    cause: Mapping[str, Any], *, removed: bool = False, assignment_changed: bool = False
) -> list[str]:
    """A history entry's cause in words, most important first.

    `removed`: the signature disappeared; `assignment_changed`: the teammate now gets another template
    or rule than in the entry before (then the assignment is explained too).
    """
    kind = cause.get("kind")
    sentences: list[str] = [f"Signature removed: {removal_reason(cause)}"] if removed else []
    if kind == CauseKind.OKTA:
        lifecycle = {"Okta: deactivated in Okta", "Okta: removed from Okta"}
        sentences += [text for text in okta_sentences(cause) if not (removed and text in lifecycle)]
    elif kind == CauseKind.TEMPLATE:
        name = cause.get("template_name") or "unnamed"
        sentences.append(f"Template “{name}” published version {cause.get('template_version')}")
    elif kind == CauseKind.RULE:
        if not removed:
            sentences.append(assignment_sentence(cause))
        else:
            sentences.append("Assignment rules changed")
    elif kind == CauseKind.FIELD:
        keys = cause.get("field_keys") or []
        label = "Smart field" if len(keys) == 1 else "Smart fields"
        sentences.append(f"{label} {', '.join(keys) or 'definitions'} changed")
    elif kind == CauseKind.MANUAL:
        sentences.append(f"Rendered again by {cause.get('actor') or 'an admin'}")
    else:
        sentences.append("First signature")
    if assignment_changed and not removed and kind != CauseKind.RULE:
        sentences.append(assignment_sentence(cause))
    return sentences
