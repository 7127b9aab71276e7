"""Writing one re-render batch: current signatures in bulk statements, a history row for each
change (a new content hash, or a signature that appears or disappears), and render errors."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, update
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, delete, select

from webapp.db import utcnow
from webapp.signatures.causes import Cause
from webapp.signatures.models import Signature, SignatureChange, SignatureRenderError
from webapp.signatures.plans import Plan, RerenderResult, Snapshot

# Render NULLs in bulk INSERTs, so a batch is one multi-row statement (as the sync writer does).
ONE_BATCH = {"render_nulls": True}


def _details(snapshot: Snapshot, cause: Cause, plan: Plan) -> dict[str, Any]:
    """The cause as stored for one teammate: the event, their Okta changes, what they were assigned."""
    details = cause.to_json()
    assignment = plan.assignment
    details["reason"] = assignment.reason.value
    if assignment.template_id is not None:
        details["assigned_template_id"] = assignment.template_id
        details["assigned_template_name"] = snapshot.names.get(assignment.template_id, "")
    if assignment.rule_id is not None:
        details["assigned_rule_id"] = assignment.rule_id
        details["assigned_rule_name"] = assignment.rule_name
    okta = snapshot.okta.get(plan.teammate_id)
    if okta is not None:
        if okta.changes:
            details["okta_changes"] = {name: list(values) for name, values in okta.changes.items()}
        if okta.events:
            details["okta_events"] = list(okta.events)
        if okta.status is not None:
            details["okta_status"] = list(okta.status)
    previous = snapshot.current.get(plan.teammate_id)
    if previous is not None:
        details["previous_template_name"] = snapshot.names.get(previous.template_id, "")
    return details


def write_batch(
    session: Session, plans: list[Plan], snapshot: Snapshot, cause: Cause, result: RerenderResult
) -> set[int]:
    """Store the batch's outcome in bulk statements, comparing with the hashes stored now (another
    process may have written since the read)."""
    fresh = {
        row.teammate_id: row
        for row in session.execute(
            select_columns(
                col(Signature.id),
                col(Signature.teammate_id),
                col(Signature.content_hash),
                col(Signature.template_id),
                col(Signature.template_version),
                col(Signature.rule_id),
                col(Signature.reason),
                col(Signature.missing_fields),
                col(Signature.rendered_at),
            ).where(col(Signature.teammate_id).in_([plan.teammate_id for plan in plans]))
        ).all()
    }
    now = utcnow()
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    deletes: list[int] = []
    history: list[dict[str, Any]] = []
    for plan in plans:
        current = fresh.get(plan.teammate_id)
        if plan.rendered is None:
            if current is not None:
                deletes.append(current.id)
                history.append(_change(plan, snapshot, cause, now, previous=current.content_hash))
            continue
        if current is None:
            inserts.append({"teammate_id": plan.teammate_id, **_signature_values(plan, rendered_at=now)})
        elif current.content_hash != plan.rendered.content_hash:
            updates.append({"id": current.id, **_signature_values(plan, rendered_at=now)})
        else:
            if _metadata_differs(current, plan):  # same content: kept current without a history row
                updates.append({"id": current.id, **_signature_values(plan, rendered_at=current.rendered_at)})
            continue
        history.append(
            _change(plan, snapshot, cause, now, previous=current.content_hash if current else None)
        )
    if deletes:
        session.execute(delete(Signature).where(col(Signature.id).in_(deletes)))
    if inserts:
        session.execute(insert(Signature), inserts, execution_options=ONE_BATCH)
    if updates:
        session.execute(update(Signature), updates)
    if history:
        session.execute(insert(SignatureChange), history, execution_options=ONE_BATCH)
    result.changed += len(history)
    result.removed += len(deletes)
    _store_errors(session, result, plans)
    return {row["teammate_id"] for row in history}


def _signature_values(plan: Plan, *, rendered_at: Any) -> dict[str, Any]:
    """A `Signature` row's columns for this plan (all but id and teammate)."""
    assert plan.rendered is not None and plan.assignment.template_id is not None and plan.version is not None
    return {
        "template_id": plan.assignment.template_id,
        "template_version": plan.version,
        "rule_id": plan.assignment.rule_id,
        "reason": plan.assignment.reason.value,
        "html": plan.rendered.html,
        "text": plan.rendered.text,
        "content_hash": plan.rendered.content_hash,
        "rendered_at": rendered_at,
        "missing_fields": list(plan.missing),
        "missing_count": len(plan.missing),
    }


def _metadata_differs(current: Any, plan: Plan) -> bool:
    """Same content, but another version, rule, reason or missing fields."""
    return (
        current.template_id,
        current.template_version,
        current.rule_id,
        current.reason,
        list(current.missing_fields or []),
    ) != (
        plan.assignment.template_id,
        plan.version,
        plan.assignment.rule_id,
        plan.assignment.reason.value,
        list(plan.missing),
    )


def _change(
    plan: Plan, snapshot: Snapshot, cause: Cause, now: Any, *, previous: str | None
) -> dict[str, Any]:
    """A `SignatureChange` row: what the signature became (nothing when removed) and why."""
    rendered = plan.rendered
    return {
        "teammate_id": plan.teammate_id,
        "changed_at": now,
        "template_id": plan.assignment.template_id if rendered else None,
        "template_version": plan.version if rendered else None,
        "rule_id": plan.assignment.rule_id if rendered else None,
        "reason": plan.assignment.reason.value,
        "html": rendered.html if rendered else "",
        "text": rendered.text if rendered else "",
        "content_hash": rendered.content_hash if rendered else None,
        "previous_hash": previous,
        "cause": _details(snapshot, cause, plan),
    }


def _store_errors(session: Session, result: RerenderResult, plans: list[Plan]) -> None:
    """Keep each refused template's error (one row per template); clear it once it renders again."""
    rendered_templates = {
        plan.assignment.template_id
        for plan in plans
        if plan.rendered is not None and plan.assignment.template_id is not None
    }
    cleared = sorted(template_id for template_id in rendered_templates if template_id not in result.errors)
    if cleared:
        session.exec(delete(SignatureRenderError).where(col(SignatureRenderError.template_id).in_(cleared)))
    for template_id, (version, message, count) in result.errors.items():
        row = session.exec(
            select(SignatureRenderError).where(col(SignatureRenderError.template_id) == template_id)
        ).first() or SignatureRenderError(template_id=template_id, template_version=version, message=message)
        row.template_version, row.message, row.teammate_count, row.occurred_at = (
            version,
            message,
            count,
            utcnow(),
        )
        session.add(row)
