"""What deleting a smart field does to the assignment rules, for the field's delete confirmation
(the fields area sits below this one: it asks through `webapp.fields.usage.register_delete_warning`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlalchemy.orm import Session
from sqlmodel import Session as SQLModelSession

from webapp.fields.usage import register_delete_warning
from webapp.rules import store
from webapp.rules.evaluate import ConditionSpec


def rules_using_field(session: Session, key: str) -> Sequence[str]:
    """One sentence naming the rules whose conditions compare the field `key` ([] if none)."""
    rules = store.list_rules(session=cast(SQLModelSession, session))
    names = [
        f"{number} “{rule.name}”"
        for number, rule in enumerate(rules, start=1)
        if any(ConditionSpec.from_json(stored).field == key for stored in rule.conditions or [])
    ]
    if not names:
        return []
    which = "Rule " + ", ".join(names) if len(names) == 1 else "Rules " + ", ".join(names)
    return [
        f"{which} compare{'s' if len(names) == 1 else ''} this field: once it is deleted, those "
        "conditions no longer hold and teammates they matched may get another signature."
    ]


def register() -> None:
    """Tell the smart fields area about the rules (idempotent)."""
    register_delete_warning(rules_using_field)
