"""The forms of the Assignments pages: reading what was posted, keeping it as typed, checking it.

Every form is two-step (preview, then save), so each can also write itself back as hidden fields.
Messages name the problem and the fix; a refused form keeps everything the admin typed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import zip_longest

from werkzeug.datastructures import MultiDict

from webapp.rules.evaluate import ConditionSpec, Operator, split_list
from webapp.rules.models import RULE_NAME_MAX_LENGTH, AssignmentRule

MAX_CONDITIONS = 20
VALUE_MAX_LENGTH = 200
MAX_LIST_ITEMS = 100
NUMBER_MAX_DIGITS = 10
TEMPLATE_NOT_OFFERED = (
    "That template can't be given: it has no published version, or it is archived. "
    "Publish it, or choose another."
)


class FormAction(StrEnum):
    """What a submit button asks for (`name="action"`)."""

    PREVIEW = "preview"  # show the effect, save nothing
    SAVE = "save"  # the confirmed change: save it
    EDIT = "edit"  # back from the preview to the form, values kept
    ADD_CONDITION = "add-condition"  # one more condition row (re-rendered without JavaScript)


class ManualChoice(StrEnum):
    """The non-template options of a teammate's manual assignment."""

    FOLLOW_RULES = "rules"
    NO_SIGNATURE = "none"


def form_action(form: Mapping[str, str]) -> FormAction | None:
    """The button that submitted `form`, or None for an unknown one."""
    value = form.get("action", FormAction.PREVIEW.value)
    return FormAction(value) if value in {action.value for action in FormAction} else None


def parse_id(text: str) -> int | None:
    """A positive id typed in a form, or None."""
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > NUMBER_MAX_DIGITS:
        return None
    number = int(text)
    return number if 0 < number < 2**31 else None


@dataclass
class ConditionRow:
    """One condition row of the rule form, as typed."""

    field: str = ""
    op: str = Operator.IS.value
    value: str = ""


@dataclass(frozen=True)
class RuleDraft:
    """A checked rule form: ready to preview or save."""

    name: str
    template_id: int
    conditions: tuple[ConditionSpec, ...]


@dataclass
class RuleForm:
    """The rule form as typed; `errors` maps "name", "template", "conditions", "field-0", "op-0",
    "value-0"... to messages."""

    name: str = ""
    template: str = ""
    rows: list[ConditionRow] = field(default_factory=lambda: [ConditionRow()])
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, form: MultiDict[str, str]) -> RuleForm:
        """Read a posted rule form; rows come from the repeated `field`, `op` and `value` fields."""
        rows = [
            ConditionRow(field=key or "", op=op or "", value=value or "")
            for key, op, value in zip_longest(
                form.getlist("field"), form.getlist("op"), form.getlist("value")
            )
        ]
        return cls(
            name=form.get("name", ""), template=form.get("template", ""), rows=rows[: MAX_CONDITIONS + 1]
        )

    @classmethod
    def from_rule(cls, rule: AssignmentRule) -> RuleForm:
        """The form filled with a stored rule."""
        rows = []
        for stored in rule.conditions or []:
            spec = ConditionSpec.from_json(stored)
            rows.append(ConditionRow(field=spec.field, op=spec.op.value, value=", ".join(spec.values)))
        return cls(name=rule.name, template=str(rule.template_id), rows=rows or [ConditionRow()])

    def add_row(self) -> None:
        """One more (empty) condition row, up to the limit."""
        if len(self.rows) < MAX_CONDITIONS:
            self.rows.append(ConditionRow(field=self.rows[-1].field if self.rows else ""))

    def remove_row(self, index_text: str) -> None:
        """Drop the row numbered `index_text` (0-based), keeping at least one row."""
        if (
            index_text.isascii()
            and index_text.isdigit()
            and len(index_text) < 4
            and int(index_text) < len(self.rows)
        ):
            del self.rows[int(index_text)]
        if not self.rows:
            self.rows.append(ConditionRow())

    def hidden_fields(self) -> list[tuple[str, str]]:
        """The form as hidden (name, value) pairs, for the preview's Confirm and Back buttons."""
        pairs = [("name", self.name), ("template", self.template)]
        for row in self.rows:
            pairs += [("field", row.field), ("op", row.op), ("value", row.value)]
        return pairs

    def validate(self, *, templates: Mapping[int, str], fields: Collection[str]) -> RuleDraft | None:
        """The checked rule, or None with `errors` filled. `templates` are the assignable ones,
        `fields` the existing smart-field keys."""
        self.errors = {}
        name = " ".join(self.name.split())
        if not name:
            self.errors["name"] = "Give the rule a name, such as “Sales team”."
        elif len(name) > RULE_NAME_MAX_LENGTH:
            self.errors["name"] = (
                f"Keep the name under {RULE_NAME_MAX_LENGTH} characters (it has {len(name):,})."
            )
        template_id = parse_id(self.template)
        if not self.template.strip():
            self.errors["template"] = "Choose the template this rule gives."
        elif template_id is None or template_id not in templates:
            self.errors["template"] = TEMPLATE_NOT_OFFERED
        conditions = self._conditions(fields)
        if self.errors or template_id is None:
            return None
        return RuleDraft(name=name, template_id=template_id, conditions=tuple(conditions))

    def _conditions(self, fields: Collection[str]) -> list[ConditionSpec]:
        if len(self.rows) > MAX_CONDITIONS:
            self.errors["conditions"] = f"A rule has at most {MAX_CONDITIONS} conditions."
            return []
        if not self.rows:
            self.errors["conditions"] = "Add at least one condition."
        conditions = []
        for index, row in enumerate(self.rows):
            spec = self._condition(index, row, fields)
            if spec is not None:
                conditions.append(spec)
        return conditions

    def _condition(self, index: int, row: ConditionRow, fields: Collection[str]) -> ConditionSpec | None:
        key = row.field.strip()
        if not key:
            self.errors[f"field-{index}"] = "Choose the smart field this condition tests."
        elif key not in fields:
            self.errors[f"field-{index}"] = (
                "There is no smart field with this key (it may have been removed). "
                "Choose another, or remove this condition."
            )
        if row.op not in {operator.value for operator in Operator}:
            self.errors[f"op-{index}"] = "Choose a comparison from the list."
            return None
        operator = Operator(row.op)
        values = self._values(index, operator, row.value)
        if f"field-{index}" in self.errors or values is None:
            return None
        return ConditionSpec(field=key, op=operator, values=values)

    def _values(self, index: int, operator: Operator, text: str) -> tuple[str, ...] | None:
        if not operator.takes_value:
            return ()
        items = split_list(text) if operator.takes_list else ([text.strip()] if text.strip() else [])
        problem = None
        if not items:
            problem = f"Type the value to compare with: “{operator.value}” needs one."
            if operator.takes_list:
                problem = "Type one or more values, separated by commas or on separate lines."
        elif len(items) > MAX_LIST_ITEMS:
            problem = f"At most {MAX_LIST_ITEMS} values."
        elif any(len(item) > VALUE_MAX_LENGTH for item in items):
            problem = f"Keep each value under {VALUE_MAX_LENGTH} characters."
        if problem:
            self.errors[f"value-{index}"] = problem
            return None
        return tuple(items)
