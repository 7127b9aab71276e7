"""The Assignments pages: ordered rules, the default template, manual assignments, and for every
change a preview of its effect ("12 teammates change signature") that must be confirmed.

Every change is a two-step form: `action=preview` shows the effect with the submitted values in
hidden fields, `action=save` (the Confirm button) saves. Forms work without JavaScript; the rule and
manual editors swap only their own region for htmx, and `static/js/rules.js` adds drag-and-drop
reordering on top of the Move up / Move down buttons.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Flask, Response, flash, request, url_for

from webapp.extensions import db
from webapp.rendering import found_or_404, redirect_to, render
from webapp.rules import changes, pages, store, usage
from webapp.rules.changes import (
    Change,
    DeleteRule,
    Reorder,
    SaveRule,
    SetDefault,
    SetManual,
    SetSignNotYetActive,
)
from webapp.rules.choices import field_choices
from webapp.rules.describe import template_label
from webapp.rules.evaluate import AssignmentReason, Operator
from webapp.rules.forms import TEMPLATE_NOT_OFFERED, FormAction, ManualChoice, RuleForm, form_action, parse_id
from webapp.rules.models import AssignmentRule
from webapp.rules.store import Direction
from webapp.security import render_error
from webapp.teammates.models import Teammate

bp = Blueprint("rules", __name__, url_prefix="/signatures/assignments")
MAX_ID = 2**31 - 1
INDEX = "rules/index.html"
RULE_PAGE = "rules/rule_form.html"
RULE_EDITOR = "rules/_rule_editor.html"
MANUAL_PAGE = "rules/manual.html"
MANUAL_EDITOR = "rules/_manual_editor.html"
PREVIEW_PAGE = "rules/preview.html"
STALE_ORDER = "The rules changed since this page was loaded, so nothing was saved. Reload and try again."


def init_app(app: Flask) -> None:
    """Give templates the values they test and show (never retyped as literals)."""
    app.jinja_env.globals.update(
        RuleOperator=Operator,
        AssignmentReason=AssignmentReason,
        RuleFormAction=FormAction,
        ManualChoice=ManualChoice,
        RuleDirection=Direction,
        rules_template_label=template_label,
    )
    usage.register()  # the smart field delete confirmation names the rules using the field


bp.record_once(lambda state: init_app(state.app))  # type: ignore[arg-type]


@bp.get("/")
def index() -> Response:
    """The ordered rules, the default template and the manual assignments; htmx gets the rules list."""
    with db.session_scope(writer=False) as reading:
        context = pages.index_context(session=reading)
    return render(INDEX, partial="rules/_rules.html", **context)


# ----------------------------------------------------------------------------- rules


@bp.route("/rules/new", methods=["GET", "POST"])
def new_rule() -> Response:
    """Create a rule: the form, then a preview of its effect, then save."""
    return _rule_editor(None)


@bp.route(f"/rules/<int(max={MAX_ID}):rule_id>/edit", methods=["GET", "POST"])
def edit_rule(rule_id: int) -> Response:
    """Change a rule: the form, then a preview of its effect, then save."""
    with db.session_scope(writer=False) as reading:
        rule = found_or_404(store.get_rule(session=reading, rule_id=rule_id))
    return _rule_editor(rule)


def _rule_editor(rule: AssignmentRule | None) -> Response:
    if request.method != "POST":  # GET and HEAD only show the form
        return _render_rule(RuleForm.from_rule(rule) if rule else RuleForm(), rule)
    form = RuleForm.from_form(request.form)
    action = form_action(request.form)
    if "remove" in request.form:
        form.remove_row(request.form.get("remove", ""))
        return _render_rule(form, rule)
    if action is FormAction.ADD_CONDITION:
        form.add_row()
        return _render_rule(form, rule)
    if action is FormAction.EDIT:
        return _render_rule(form, rule)
    with db.session_scope(writer=False) as reading:
        templates = pages.template_choices(session=reading, current=rule.template_id if rule else None)
        keys = {choice.key for choice in field_choices(session=reading)}
        others = [
            other.name for other in store.list_rules(session=reading) if rule is None or other.id != rule.id
        ]
    draft = form.validate(templates=templates, fields=keys)
    if draft is not None and draft.name.casefold() in {name.casefold() for name in others}:
        # Rules are shown and audited by name: two of the same name would be told apart by position only.
        form.errors["name"] = f"A rule named “{draft.name}” already exists. Give this one another name."
        draft = None
    if draft is None or action is None:
        if action is None:
            form.errors["form"] = "That button is not one of this form's; nothing was saved."
        return _render_rule(form, rule, status=422)
    change = SaveRule(draft, rule.id if rule else None)
    if action is FormAction.PREVIEW:
        return _render_rule(form, rule, change=change)
    changes.save(change)
    flash(f"Rule “{draft.name}” saved.", "success")
    return redirect_to(url_for("rules.index"))


def _render_rule(
    form: RuleForm, rule: AssignmentRule | None, *, status: int = 200, change: Change | None = None
) -> Response:
    url = url_for("rules.edit_rule", rule_id=rule.id) if rule else url_for("rules.new_rule")
    with db.session_scope(writer=False) as reading:
        context = pages.rule_form_context(session=reading, form=form, rule=rule)
    if change is not None:
        title = f"Review: rule “{form.name.strip()}”"
        context.update(
            _preview_context(change, title=title, url=url, hidden=form.hidden_fields(), editor=True)
        )
    return render(RULE_PAGE, partial=RULE_EDITOR, status=status, form_url=url, **context)


@bp.route(f"/rules/<int(max={MAX_ID}):rule_id>/delete", methods=["GET", "POST"])
def delete_rule(rule_id: int) -> Response:
    """Delete a rule: GET shows its effect and a Confirm button; the confirmed POST deletes it."""
    with db.session_scope(writer=False) as reading:
        rule = found_or_404(store.get_rule(session=reading, rule_id=rule_id))
    change = DeleteRule(rule_id, rule.name)
    if request.method != "POST" or form_action(request.form) is not FormAction.SAVE:
        url = url_for("rules.delete_rule", rule_id=rule_id)
        return _preview_page(change, title=f"Delete rule “{rule.name}”", url=url, confirm="Delete rule")
    changes.save(change)
    flash(f"Rule “{rule.name}” deleted.", "success")
    return redirect_to(url_for("rules.index"))


@bp.post(f"/rules/<int(max={MAX_ID}):rule_id>/move")
def move_rule(rule_id: int) -> Response:
    """Move a rule one place up or down: shows the effect; Confirm posts the new order to `reorder`."""
    with db.session_scope(writer=False) as reading:
        rule = found_or_404(store.get_rule(session=reading, rule_id=rule_id))
        current = [each.id for each in store.list_rules(session=reading) if each.id is not None]
    direction_text = request.form.get("direction", "")
    if direction_text not in {direction.value for direction in Direction}:
        return render_error(422, "Choose Move up or Move down.")
    direction = Direction(direction_text)
    order = store.moved_order(current, rule_id, direction)
    if order == current:
        flash(f"Rule “{rule.name}” is already {'first' if direction is Direction.UP else 'last'}.", "info")
        return redirect_to(url_for("rules.index"))
    change = Reorder(tuple(order), summary=f"Rule “{rule.name}” moved {direction.value}")
    return _preview_page(
        change,
        title=f"Move rule “{rule.name}” {direction.value}",
        url=url_for("rules.reorder"),
        hidden=[("order", ",".join(map(str, order)))],
        confirm="Save the new order",
    )


@bp.post("/reorder")
def reorder() -> Response:
    """Put the rules in a new order (`order`: every rule id, comma-separated), from the Move buttons'
    preview or from drag-and-drop; `action=preview` shows the effect, `action=save` saves it."""
    with db.session_scope(writer=False) as reading:
        current = [rule.id for rule in store.list_rules(session=reading) if rule.id is not None]
    text = request.form.get("order", "")
    proposed = [parse_id(part) for part in text.split(",")[: len(current) + 1]] if text.strip() else []
    order = store.complete_order(current, [rule_id for rule_id in proposed if rule_id is not None])
    if order is None or None in proposed:
        return render_error(422, STALE_ORDER)
    if order == current:
        flash("The order is unchanged.", "info")
        return redirect_to(url_for("rules.index"))
    change = Reorder(tuple(order))
    action = form_action(request.form)
    if action is FormAction.SAVE:
        changes.save(change)
        flash("New rule order saved.", "success")
        return redirect_to(url_for("rules.index"))
    hidden = [("order", ",".join(map(str, order)))]
    return _preview_page(
        change,
        title="Reorder the rules",
        url=url_for("rules.reorder"),
        hidden=hidden,
        confirm="Save the new order",
    )


# ----------------------------------------------------------------------------- default


@bp.post("/default")
def set_default() -> Response:
    """Choose the default template (or no signature): preview, then save."""
    text = request.form.get("template", "")
    with db.session_scope(writer=False) as reading:
        stored = store.get_default(session=reading)
        templates = pages.template_choices(session=reading, current=stored.template_id if stored else None)
    template_id = parse_id(text) if text.strip() else None
    if text.strip() and template_id not in templates:
        with db.session_scope(writer=False) as reading:
            context = pages.index_context(session=reading)
        error = TEMPLATE_NOT_OFFERED
        context.update(default_error=error, default_selected=text)
        return render(INDEX, status=422, **context)
    change = SetDefault(template_id, template_label(template_id, templates))
    if form_action(request.form) is FormAction.SAVE:
        changes.save(change)
        flash(f"Default template: {change.label}.", "success")
        return redirect_to(url_for("rules.index"))
    return _preview_page(
        change,
        title=f"Default template: {change.label}",
        url=url_for("rules.set_default"),
        hidden=[("template", text.strip())],
        confirm="Save the default",
    )


# ----------------------------------------------------------------------------- not yet active


@bp.post("/not-yet-active")
def set_not_yet_active() -> Response:
    """Give signatures to teammates not yet active in Okta (STAGED), or stop: preview, then save.

    The checkbox sends `sign=on` when ticked and nothing when not (a plain form, no JavaScript).
    """
    with db.session_scope(writer=False) as reading:
        view = pages.not_yet_active_view(session=reading)
    if request.form.get("source", view.source) != view.source:
        return render_error(422, "Signet knows no such source; reload the Assignments page and try again.")
    enabled = request.form.get("sign", "") == "on"
    if enabled == view.enabled:
        state = "already get" if enabled else "already get no"
        flash(f"Nothing changed: teammates not yet active in {view.label} {state} signature.", "info")
        return redirect_to(url_for("rules.index"))
    change = SetSignNotYetActive(view.source, view.label, enabled)
    given = "get signatures" if enabled else "get no signature"
    if form_action(request.form) is FormAction.SAVE:
        changes.save(change)
        flash(f"Teammates not yet active in {view.label} ({view.status_words}) now {given}.", "success")
        return redirect_to(url_for("rules.index"))
    return _preview_page(
        change,
        title=f"Teammates not yet active in {view.label} ({view.status_words}) {given}",
        url=url_for("rules.set_not_yet_active"),
        hidden=[("source", view.source), ("sign", "on" if enabled else "off")],
        confirm="Save the setting",
    )


# ----------------------------------------------------------------------------- one teammate


@bp.route(f"/teammates/<int(max={MAX_ID}):teammate_id>", methods=["GET", "POST"])
def teammate(teammate_id: int) -> Response:
    """Choose one teammate's template by hand ("Follow the rules", "No signature" or a template)."""
    with db.session_scope(writer=False) as reading:
        person = found_or_404(reading.get(Teammate, teammate_id))
        stored = store.get_manual(session=reading, teammate_id=teammate_id)
        templates = pages.template_choices(session=reading, current=stored.template_id if stored else None)
    if request.method != "POST":
        return _render_manual(person, choice=None)
    choice = request.form.get("choice", "").strip()
    change = _manual_change(person, choice, templates)
    action = form_action(request.form)
    if change is None or action is None:
        error = "Choose “Follow the rules”, “No signature” or a published template."
        return _render_manual(person, choice=choice, error=error, status=422)
    if action is FormAction.SAVE:
        changes.save(change)
        flash(f"{change.teammate_name}: {change.label}.", "success")
        return redirect_to(url_for("teammates.detail", teammate_id=teammate_id))
    if action is FormAction.EDIT:
        return _render_manual(person, choice=choice)
    return _render_manual(person, choice=choice, change=change)


def _manual_change(teammate: Teammate, choice: str, templates: Mapping[int, str]) -> SetManual | None:
    assert teammate.id is not None
    name = pages.teammate_name(teammate)
    if choice == ManualChoice.FOLLOW_RULES:
        return SetManual(teammate.id, name, None, follow_rules=True, label="follows the rules")
    if choice == ManualChoice.NO_SIGNATURE:
        return SetManual(teammate.id, name, None, follow_rules=False, label="no signature")
    template_id = parse_id(choice)
    if template_id is None or template_id not in templates:
        return None
    return SetManual(teammate.id, name, template_id, follow_rules=False, label=templates[template_id])


def _render_manual(
    teammate: Teammate,
    *,
    choice: str | None,
    error: str | None = None,
    status: int = 200,
    change: SetManual | None = None,
) -> Response:
    assert teammate.id is not None
    url = url_for("rules.teammate", teammate_id=teammate.id)
    with db.session_scope(writer=False) as reading:
        context = pages.manual_context(session=reading, teammate=teammate, choice=choice)
    if change is not None:
        title = f"Review: {change.teammate_name}, {change.label}"
        context.update(
            _preview_context(change, title=title, url=url, hidden=[("choice", choice or "")], editor=True)
        )
    return render(
        MANUAL_PAGE, partial=MANUAL_EDITOR, status=status, form_url=url, manual_error=error, **context
    )


# ----------------------------------------------------------------------------- previews


def _preview_context(
    change: Change,
    *,
    title: str,
    url: str,
    hidden: list[tuple[str, str]],
    editor: bool,
    confirm: str = "Confirm and save",
) -> dict[str, Any]:
    impact = changes.preview(change)
    with db.session_scope(writer=False) as reading:
        names = pages.all_template_names(session=reading)
    return {
        "impact": impact,
        "template_names": names,
        "preview_title": title,
        "confirm_url": url,
        "confirm_label": confirm,
        "hidden": hidden,
        "back_to_edit": editor,
    }


def _preview_page(
    change: Change, *, title: str, url: str, confirm: str, hidden: list[tuple[str, str]] | None = None
) -> Response:
    """A full page showing `change`'s effect with a Confirm button (posting `hidden` + action=save)."""
    context = _preview_context(
        change, title=title, url=url, hidden=hidden or [], editor=False, confirm=confirm
    )
    return render(PREVIEW_PAGE, **context)
