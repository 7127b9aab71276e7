"""The Smart fields pages: the list, create/edit/delete with a live sample, the Missing data view
and the values kept in Signet for one teammate (plus a panel on the teammate's page).

Every form works without JavaScript (a real POST, then a 303 back); with htmx, the sample refreshes
as the admin edits and the list's reorder buttons swap only the list. Bad input re-shows the form
with a message next to each field and status 422.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Flask, Response, current_app, flash, request, url_for
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from webapp.audit.record import audit_request
from webapp.extensions import db
from webapp.fields import defaults, pages, store
from webapp.fields.formats import clean_text
from webapp.fields.forms import (
    ENUM_DISPLAY_LABELS,
    FORMAT_LABELS,
    REGIONS,
    SOURCE_LABELS,
    FieldForm,
    region_label,
)
from webapp.fields.models import VALUE_MAX_LENGTH, EnumDisplay, FieldFormat, FieldSource, SmartField
from webapp.fields.panel import register_panel
from webapp.fields.signals import fields_changed
from webapp.fields.store import FieldSpec
from webapp.fields.usage import delete_warnings, field_usage
from webapp.fields.values import known_fields
from webapp.rendering import found_or_404, redirect_to, render, wants_fragment
from webapp.security import render_error
from webapp.sources.okta.directory import SOURCE_KEY as OKTA
from webapp.sources.okta.status import connection_summary
from webapp.sync.service import refresh_schema
from webapp.teammates import store as teammates
from webapp.teammates.models import Teammate
from webapp.teammates.profile import admin_console_url

bp = Blueprint("fields", __name__, url_prefix="/smart-fields")
MAX_ID = 2**31 - 1
LIST = "fields/_list.html"
FORM = "fields/_form.html"
SAMPLE = "fields/_sample.html"
TEAMMATE_FORM = "fields/_teammate_form.html"
KEPT_PREFIX = "field_"  # the per-teammate form names each input `field_<key>`


def init_app(app: Flask) -> None:
    """Give templates the values they test (never retyped as literals) and draw the teammate panel."""
    app.jinja_env.globals.update(
        FieldSource=FieldSource,
        FieldFormat=FieldFormat,
        FIELD_FORMAT_LABELS=FORMAT_LABELS,
        FIELD_SOURCE_LABELS=SOURCE_LABELS,
        EnumDisplay=EnumDisplay,
        FIELD_ENUM_DISPLAY_LABELS=ENUM_DISPLAY_LABELS,
        FIELD_REGIONS=REGIONS,
        field_region_label=region_label,
    )
    register_panel()


bp.record_once(lambda state: init_app(state.app))  # type: ignore[arg-type]


def _app() -> Flask:
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    return app


def _changed(field_keys: set[str] | frozenset[str], teammate_ids: frozenset[int] | None = None) -> None:
    """Tell the signatures (after the commit) which fields changed, for whom (None: everyone)."""
    fields_changed.send(_app(), field_keys=frozenset(field_keys), teammate_ids=teammate_ids)


def _field_or_404(field_id: int) -> SmartField:
    return found_or_404(store.get_field(session=db.session, field_id=field_id))


# ----------------------------------------------------------------------------- the list


def _list_context(session: Session) -> dict[str, Any]:
    okta = connection_summary(session=session)
    return {"field_list": pages.field_list(session=session), "okta": okta}


@bp.get("/")
def index() -> Response:
    """Every smart field: placeholder, source, format, fallback, completion, templates using it."""
    return render("fields/index.html", partial=LIST, **_list_context(db.session))


@bp.post(f"/<int(max={MAX_ID}):field_id>/move")
def move(field_id: int) -> Response:
    """Move a field up or down the list (`direction` up or down); htmx gets the list back."""
    smart_field = _field_or_404(field_id)
    offset = -1 if request.form.get("direction") == "up" else 1
    moved = store.move_field(session=db.session, field=smart_field, offset=offset)
    where = "up" if offset < 0 else "down"
    if moved:
        audit_request("fields.moved", f"Moved the smart field {smart_field.key} {where}")
    else:
        db.session.rollback()
    if wants_fragment():
        return render("fields/index.html", partial=LIST, **_list_context(db.session))
    if moved:
        flash(f"Moved {{{{ {smart_field.key} }}}} {where}.", "success")
    else:
        flash(f"{{{{ {smart_field.key} }}}} is already {'first' if offset < 0 else 'last'}.", "info")
    return redirect_to(url_for("fields.index"))


@bp.post("/defaults")
def add_defaults() -> Response:
    """Create the default fields (first name, job title, phones…) not created before."""
    created = defaults.create_default_fields(session=db.session)
    if created:
        audit_request("fields.defaults_added", f"Added {len(created)} default smart field(s)")  # commits
        _changed(set(created))
        flash(f"Added {len(created)} default field{'s' if len(created) != 1 else ''}.", "success")
    else:
        db.session.commit()  # the defaults already offered are remembered either way
        flash("The default fields were all added before (deleted ones are not added again).", "info")
    return redirect_to(url_for("fields.index"))


@bp.post("/refresh-attributes")
def refresh_attributes() -> Response:
    """Read Okta's user schema now (one API call, outside any transaction) and store it."""
    back = request.form.get("next", "")
    target = (
        back
        if back.startswith("/smart-fields/") and back.isascii() and back.isprintable()
        else url_for("fields.index")
    )
    db.session.rollback()  # hold no transaction across the call to Okta (PITFALLS 7.1)
    db.session.close()
    try:
        stored = refresh_schema(_app())
    except Exception as error:  # noqa: BLE001 - any Okta or network failure is reported, not raised
        message = str(error).strip().splitlines()[0][:300] if str(error).strip() else type(error).__name__
        return render_error(
            502, f"Signet could not read the attributes from Okta: {message}. Nothing was changed."
        )
    if stored is None:
        return render_error(409, "Connect Okta in Setup before refreshing its attributes.")
    audit_request("fields.attributes_refreshed", f"Refreshed Okta's attributes ({len(stored)} found)")
    flash(f"Read {len(stored)} attributes from Okta.", "success")
    return redirect_to(target)


# ----------------------------------------------------------------------------- create and edit


def _form_context(form: FieldForm, smart_field: SmartField | None) -> dict[str, Any]:
    session = db.session
    attributes = store.okta_attributes(session=session)
    spec = _spec_for_sample(form)
    return {
        "form": form,
        "smart_field": smart_field,
        "attributes": attributes,
        "current_attribute_missing": bool(form.attribute)
        and form.attribute not in {attribute.name for attribute in attributes},
        "usages": field_usage(session).get(smart_field.key, []) if smart_field else [],
        "samples": pages.sample_values(
            session=session, spec=spec, field_id=smart_field.id if smart_field else None
        )
        if spec
        else [],
        "okta": connection_summary(session=session),
    }


def _spec_for_sample(form: FieldForm) -> FieldSpec | None:
    """The spec to sample, as far as the form's values allow (None: nothing to show yet)."""
    if form.source == FieldSource.OKTA and not form.attribute:
        return None
    values = {**form.__dict__, "errors": {}, "key": "sample", "label": "Sample"}
    checked = FieldForm(**values)
    spec = checked.validate(taken_keys=(), attributes=(form.attribute,))
    if spec is None and set(checked.errors) == {"fallback"}:  # still show the values themselves
        spec = FieldForm(**{**values, "fallback": ""}).validate(taken_keys=(), attributes=(form.attribute,))
    return spec


def _form_page(form: FieldForm, smart_field: SmartField | None, *, status: int = 200) -> Response:
    return render("fields/edit.html", partial=FORM, status=status, **_form_context(form, smart_field))


@bp.get("/new")
def new() -> Response:
    """The form for a new field."""
    return _form_page(FieldForm(), None)


@bp.post("/new")
def create() -> Response:
    """Create a field; 422 with a message per form field when something needs fixing."""
    form = FieldForm.read(request.form)
    names = {attribute.name for attribute in store.okta_attributes(session=db.session)}
    spec = form.validate(taken_keys=store.field_keys(session=db.session), attributes=names)
    if spec is None:
        db.session.rollback()
        return _form_page(form, None, status=422)
    try:
        smart_field = store.create_field(session=db.session, spec=spec)
    except IntegrityError:  # another admin created the same key a moment ago (PostgreSQL)
        db.session.rollback()
        form.errors["key"] = f"A field named {spec.key} already exists; choose another name."
        return _form_page(form, None, status=422)
    audit_request("fields.created", f"Created the smart field {spec.key}")  # commits
    _changed({spec.key})
    flash(f"Created {{{{ {spec.key} }}}}.", "success")
    return redirect_to(url_for("fields.edit", field_id=smart_field.id))


@bp.get(f"/<int(max={MAX_ID}):field_id>/edit")
def edit(field_id: int) -> Response:
    """One field's settings, with a sample of its value for a few teammates."""
    smart_field = _field_or_404(field_id)
    return _form_page(FieldForm.of(FieldSpec.of(smart_field)), smart_field)


@bp.post(f"/<int(max={MAX_ID}):field_id>/edit")
def update(field_id: int) -> Response:
    """Save a field's settings (its placeholder name stays: templates use it)."""
    smart_field = _field_or_404(field_id)
    form = FieldForm.read(request.form, key=smart_field.key)
    names = {attribute.name for attribute in store.okta_attributes(session=db.session)}
    spec = form.validate(taken_keys=(), attributes=names, current_attribute=smart_field.attribute)
    if spec is None:
        db.session.rollback()
        return _form_page(form, smart_field, status=422)
    changed = store.update_field(session=db.session, field=smart_field, spec=spec)
    if changed:
        audit_request("fields.updated", f"Changed the smart field {smart_field.key}: {', '.join(changed)}")
        _changed({smart_field.key})
        flash(f"Saved {{{{ {smart_field.key} }}}}.", "success")
    else:
        db.session.rollback()
        flash("Nothing to save: the field is unchanged.", "info")
    return redirect_to(url_for("fields.edit", field_id=field_id))


@bp.get("/sample")
def sample() -> Response:
    """The edit form's live sample for the settings in the query string (changes nothing)."""
    form = FieldForm.read(request.args, key="sample")
    field_id = request.args.get("field_id", "")
    smart_field = (
        store.get_field(session=db.session, field_id=int(field_id))
        if field_id.isdigit() and int(field_id) <= MAX_ID
        else None
    )
    spec = _spec_for_sample(form)
    samples = (
        pages.sample_values(session=db.session, spec=spec, field_id=smart_field.id if smart_field else None)
        if spec
        else []
    )
    return render("fields/sample.html", partial=SAMPLE, form=form, samples=samples, smart_field=smart_field)


# ----------------------------------------------------------------------------- delete


@bp.get(f"/<int(max={MAX_ID}):field_id>/delete")
def confirm_delete(field_id: int) -> Response:
    """Ask before deleting a field, naming the templates (and rules) that use it."""
    smart_field = _field_or_404(field_id)
    usages = field_usage(db.session).get(smart_field.key, [])
    warnings = delete_warnings(db.session, smart_field.key)
    return render("fields/delete.html", smart_field=smart_field, usages=usages, delete_warnings=warnings)


@bp.post(f"/<int(max={MAX_ID}):field_id>/delete")
def delete(field_id: int) -> Response:
    """Delete a field and the values kept for it."""
    smart_field = _field_or_404(field_id)
    key = smart_field.key
    store.delete_field(session=db.session, field=smart_field)
    audit_request("fields.deleted", f"Deleted the smart field {key}")  # commits
    _changed({key})
    flash(f"Deleted {{{{ {key} }}}}.", "success")
    return redirect_to(url_for("fields.index"))


# ----------------------------------------------------------------------------- missing data


@bp.get("/missing")
def missing() -> Response:
    """Active teammates lacking a field that a published template uses, per field, with links to
    fix each one in Okta (or in Signet, for fields kept here)."""
    okta = connection_summary(session=db.session)
    origin = okta.connection.okta_origin if okta.connection else None
    groups = pages.missing_groups(session=db.session, okta_origin=origin)
    return render("fields/missing.html", groups=groups, okta=okta, limit=pages.MISSING_LIMIT)


# ----------------------------------------------------------------------------- one teammate


def _teammate_or_404(teammate_id: int) -> Teammate:
    return found_or_404(teammates.get_teammate(session=db.session, teammate_id=teammate_id))


def _teammate_page(
    teammate: Teammate,
    *,
    kept_input: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    records = teammates.records_of(session=db.session, teammate_id=teammate.id or 0)
    okta = connection_summary(session=db.session)
    origin = okta.connection.okta_origin if okta.connection else None
    record = next((record for record in records if record.source == OKTA), None)
    return render(
        "fields/teammate.html",
        partial=TEAMMATE_FORM,
        status=status,
        teammate=teammate,
        rows=pages.teammate_rows(session=db.session, teammate=teammate, kept_input=kept_input),
        errors=errors or {},
        okta_url=admin_console_url(origin, record.external_id) if record else None,
        okta=okta,
    )


@bp.get(f"/teammates/<int(max={MAX_ID}):teammate_id>")
def teammate_values(teammate_id: int) -> Response:
    """One teammate's field values: the ones kept in Signet as inputs, Okta's read-only."""
    return _teammate_page(_teammate_or_404(teammate_id))


@bp.post(f"/teammates/<int(max={MAX_ID}):teammate_id>")
def save_teammate_values(teammate_id: int) -> Response:
    """Save the values kept in Signet for one teammate; a value for an Okta field is refused (422):
    Okta is the one source of truth for those."""
    teammate = _teammate_or_404(teammate_id)
    fields = {f.key: f for f in known_fields(session=db.session)}
    posted = {
        name[len(KEPT_PREFIX) :]: value
        for name, value in request.form.items()
        if name.startswith(KEPT_PREFIX)
    }
    errors: dict[str, str] = {}
    values: dict[int, str] = {}
    for key, value in posted.items():
        smart_field = fields.get(key)
        if smart_field is None:
            continue  # a field deleted meanwhile
        if smart_field.source != FieldSource.SIGNET:
            errors[key] = f"{smart_field.label} comes from Okta and is read-only in Signet: edit it in Okta."
            continue
        cleaned = clean_text(value, limit=VALUE_MAX_LENGTH + 1)
        if len(cleaned) > VALUE_MAX_LENGTH:
            errors[key] = f"Keep {smart_field.label} to {VALUE_MAX_LENGTH} characters or fewer."
        values[smart_field.id or 0] = cleaned
    if errors:
        db.session.rollback()
        kept_input = {key: value[: VALUE_MAX_LENGTH + 1] for key, value in posted.items() if key in fields}
        return _teammate_page(teammate, kept_input=kept_input, errors=errors, status=422)
    changed_ids = store.save_kept_values(session=db.session, teammate_id=teammate_id, values=values)
    if not changed_ids:
        db.session.rollback()
        flash("Nothing to save: the values are unchanged.", "info")
        return redirect_to(url_for("fields.teammate_values", teammate_id=teammate_id))
    keys = {f.key for f in fields.values() if f.id in changed_ids}
    name = teammate.display_name or teammate.email or f"teammate {teammate_id}"
    audit_request("fields.values_saved", f"Saved {', '.join(sorted(keys))} for {name}"[:500])
    _changed(keys, frozenset({teammate_id}))
    flash("Saved.", "success")
    return redirect_to(url_for("fields.teammate_values", teammate_id=teammate_id))
