"""Keeping signatures current: re-render the teammates an event affects, store what changed and why.

`rerender` works in batches (`RERENDER_BATCH` teammates): it reads values, assignments, published
template versions and current signatures in a read transaction, renders outside any transaction
(each template version compiled once), then writes briefly in its own write transaction
(PITFALLS 7.1: no write lock held across slow work). A published template the renderer refuses
never stops the caller (a sync): its assignees keep their previous signature and the error is kept
in `SignatureRenderError` for the dashboard. Renders are counted per app (`render_count`).

Call it outside any open write transaction: it owns its transactions. Calls in one process are
serialized, so two events re-rendering the same teammate cannot interleave their writes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from flask import Flask, current_app
from sqlalchemy import union
from sqlmodel import Session, col, select

from webapp.extensions import db
from webapp.fields.values import FieldValues, teammate_field_values
from webapp.rules.evaluate import Assignment, assignments_for
from webapp.signature_templates.models import SignatureTemplate, TemplateVersion
from webapp.signature_templates.renderer import (
    TemplateRefused,
    compile_template,
    placeholders,
    render_signature,
)
from webapp.signature_templates.store import published_versions
from webapp.signatures import store
from webapp.signatures.causes import Cause, OktaDetails, merge_okta_rows
from webapp.signatures.models import (
    MESSAGE_MAX_LENGTH,
    CauseKind,
    Signature,
)
from webapp.signatures.persist import write_batch
from webapp.signatures.plans import Plan, Snapshot
from webapp.signatures.plans import (
    RerenderResult as RerenderResult,  # re-exported: the contract names it here
)
from webapp.signatures.signals import signatures_changed
from webapp.teammates.models import Teammate, TeammateChange

log = logging.getLogger(__name__)

RERENDER_BATCH = 500
_serial = threading.RLock()
_NO_VALUES = FieldValues(values={}, missing=frozenset())


def render_count(app: Flask | None = None) -> int:
    """How many signatures this app has rendered since it started (tests and the benchmark)."""
    counter: _Counter = (app or current_app).extensions.setdefault("signet_signature_renders", _Counter())
    return counter.value


class _Counter:
    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def add(self, amount: int) -> None:
        with self._lock:
            self.value += amount


def rerender(*, teammate_ids: Collection[int] | None, cause: Cause) -> RerenderResult:
    """Re-render the signatures of `teammate_ids` (None: every active teammate and everyone who has a
    signature) because of `cause`; store changes and history, send `signatures_changed` per batch.

    Rule and template causes skip teammates whose template and version stay the same; a field cause
    also skips those whose template uses none of `cause.field_keys`.
    """
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    result = RerenderResult()
    with _serial:
        ids = sorted(set(teammate_ids)) if teammate_ids is not None else _everyone()
        for start in range(0, len(ids), RERENDER_BATCH):
            _rerender_batch(app, ids[start : start + RERENDER_BATCH], cause, result)
    if result.rendered or result.changed:
        log.info(
            "Signatures (%s): %s rendered, %s changed, %s removed, %s failed.",
            cause.kind,
            result.rendered,
            result.changed,
            result.removed,
            result.failed,
        )
    return result


def _everyone() -> list[int]:
    with db.session_scope(writer=False) as session:
        statement = union(
            select(col(Teammate.id)).where(col(Teammate.active).is_(True)), select(col(Signature.teammate_id))
        )
        return sorted(int(teammate_id) for teammate_id in session.execute(statement).scalars().all())


def _rerender_batch(app: Flask, batch: list[int], cause: Cause, result: RerenderResult) -> None:
    with db.session_scope(writer=False) as session:
        snapshot = _read(session, batch, cause)
    plans = _render(app, snapshot, result)
    if not plans and not result.errors:
        return
    with db.session_scope(writer=True) as session:
        changed = write_batch(session, plans, snapshot, cause, result)
    result.changed_ids |= changed
    if changed:
        signatures_changed.send(app, teammate_ids=frozenset(changed))


def _read(session: Session, batch: list[int], cause: Cause) -> Snapshot:
    assignments = assignments_for(session=session, teammate_ids=batch)
    current = store.current_signatures(session=session, teammate_ids=batch)
    wanted = {a.template_id for a in assignments.values() if a.template_id is not None}
    versions = published_versions(session=session, template_ids=wanted) if wanted else {}
    uses = {template_id: placeholders(version.html) for template_id, version in versions.items()}
    to_render: list[int] = []
    to_remove: list[int] = []
    for teammate_id, assignment in assignments.items():
        signature = current.get(teammate_id)
        if assignment.template_id is None:
            if signature is not None:
                to_remove.append(teammate_id)
            continue
        version = versions.get(assignment.template_id)
        if version is not None and _needs_render(cause, assignment, version, signature, uses):
            to_render.append(teammate_id)
    # Only the fields the templates use are computed (phone formats are the costly part).
    used = frozenset().union(*uses.values()) if uses else frozenset()
    values = teammate_field_values(session=session, teammate_ids=to_render, keys=used) if to_render else {}
    named = wanted | {signature.template_id for signature in current.values()}
    names = _template_names(session, named)
    okta = _okta_details(session, cause, to_render + to_remove)
    return Snapshot(assignments, versions, names, current, values, okta, uses, to_render, to_remove)


def _needs_render(
    cause: Cause,
    assignment: Assignment,
    version: TemplateVersion,
    signature: Signature | None,
    uses: Mapping[int, frozenset[str]],
) -> bool:
    """Whether this cause can change this teammate's signature (the minimal re-rendering)."""
    if signature is None:
        return True
    same = (signature.template_id, signature.template_version) == (assignment.template_id, version.number)
    if cause.kind in (CauseKind.RULE, CauseKind.TEMPLATE):
        return not same
    if cause.kind == CauseKind.FIELD:
        return not same or bool(uses.get(version.template_id, frozenset()) & cause.field_keys)
    return True


def _template_names(session: Session, template_ids: Collection[int]) -> dict[int, str]:
    if not template_ids:
        return {}
    rows = session.execute(
        select(col(SignatureTemplate.id), col(SignatureTemplate.name)).where(
            col(SignatureTemplate.id).in_(sorted(template_ids))
        )
    ).all()
    return {int(row[0]): str(row[1]) for row in rows}


def _okta_details(session: Session, cause: Cause, teammate_ids: Sequence[int]) -> dict[int, OktaDetails]:
    """What the sync run recorded for these teammates (the Okta part of their history's cause)."""
    if cause.kind != CauseKind.OKTA or cause.sync_run_id is None or not teammate_ids:
        return {}
    rows = session.exec(
        select(TeammateChange)
        .where(
            col(TeammateChange.sync_run_id) == cause.sync_run_id,
            col(TeammateChange.teammate_id).in_(list(teammate_ids)),
        )
        .order_by(col(TeammateChange.id))
    ).all()
    grouped: dict[int, list[TeammateChange]] = {}
    for row in rows:
        grouped.setdefault(row.teammate_id, []).append(row)
    return {teammate_id: merge_okta_rows(changes) for teammate_id, changes in grouped.items()}


def _render(app: Flask, snapshot: Snapshot, result: RerenderResult) -> list[Plan]:
    """Render outside any transaction; refused templates are noted in `result.errors`."""
    base_url: str = app.config["BASE_URL"]
    compiled: dict[int, Any] = {}
    plans: list[Plan] = []
    rendered = 0
    for teammate_id in snapshot.to_render:
        assignment = snapshot.assignments[teammate_id]
        assert assignment.template_id is not None
        version = snapshot.versions[assignment.template_id]
        try:
            if version.template_id not in compiled:
                compiled[version.template_id] = compile_template(version.html)
            values = snapshot.values.get(teammate_id, _NO_VALUES)
            signature = render_signature(compiled[version.template_id], values.values, base_url=base_url)
        except TemplateRefused as error:
            _note_error(result, version, error)
            continue
        rendered += 1
        missing = tuple(sorted(values.missing & snapshot.uses.get(version.template_id, frozenset())))
        plans.append(Plan(teammate_id, assignment, version.number, signature, missing))
    for teammate_id in snapshot.to_remove:
        plans.append(Plan(teammate_id, snapshot.assignments[teammate_id]))
    result.rendered += rendered
    app.extensions.setdefault("signet_signature_renders", _Counter()).add(rendered)
    return plans


def _note_error(result: RerenderResult, version: TemplateVersion, error: TemplateRefused) -> None:
    message = str(getattr(error, "message", "") or error)[:MESSAGE_MAX_LENGTH]
    _, _, count = result.errors.get(version.template_id, (version.number, message, 0))
    result.errors[version.template_id] = (version.number, message, count + 1)
    result.failed += 1


def chunks(ids: Sequence[int], size: int = RERENDER_BATCH) -> Iterator[list[int]]:
    """`ids` in lists of at most `size`."""
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])
