"""Causes in words and diffs, as pure functions."""

from __future__ import annotations

from webapp.signatures.causes import Cause, describe, merge_okta_rows
from webapp.signatures.diff import DiffKind, html_lines, signature_diff
from webapp.signatures.models import CauseKind
from webapp.teammates.models import ChangeKind, TeammateChange


def test_each_kind_of_cause_reads_as_a_sentence() -> None:
    """Okta values of every JSON type, publishes, rules, manual, default, fields, removals."""
    okta = {
        "kind": "okta",
        "okta_changes": {
            "title": ["Engineer", "Senior Engineer"],
            "languages": [["en"], ["en", "fr"]],
            "fte": [None, 0.5],
        },
    }
    assert describe(okta) == [
        "Okta: fte changed from empty to “0.5”",
        "Okta: languages changed from “en” to “en, fr”",
        "Okta: title changed from “Engineer” to “Senior Engineer”",
    ]
    published = Cause(CauseKind.TEMPLATE, template_id=3, template_version=3, template_name="Sales").to_json()
    assert describe(published) == ["Template “Sales” published version 3"]
    manual = {"kind": "rule", "reason": "manual", "assigned_template_name": "Execs"}
    assert describe(manual) == ["Assigned by hand: template “Execs”"]
    default = {
        "kind": "field",
        "field_keys": ["mobile_phone"],
        "reason": "default",
        "assigned_template_name": "Std",
    }
    assert describe(default, assignment_changed=True) == [
        "Smart field mobile_phone changed",
        "No rule matches: the default template “Std”",
    ]
    removed = {"kind": "okta", "reason": "inactive", "okta_events": ["removed"]}
    assert describe(removed, removed=True) == ["Signature removed: removed from Okta"]
    none = {"kind": "rule", "reason": "none"}
    assert (
        describe(none, removed=True)[0]
        == "Signature removed: no rule matches and there is no default template"
    )


def test_one_runs_rows_fold_into_one_story() -> None:
    """Two rows of one run: the first old value and the last new value of each attribute, events in order."""
    rows = [
        TeammateChange(teammate_id=1, kind=ChangeKind.UPDATED, changes={"title": ["A", "B"]}),
        TeammateChange(
            teammate_id=1,
            kind=ChangeKind.DEACTIVATED,
            changes={"title": ["B", "C"]},
            status_from="ACTIVE",
            status_to="SUSPENDED",
        ),
    ]
    details = merge_okta_rows(rows)
    assert details.changes == {"title": ["A", "C"]}
    assert details.events == ("updated", "deactivated") and details.status == ("ACTIVE", "SUSPENDED")


def test_html_diff_splits_at_tags_and_marks_lines() -> None:
    """A one-line signature is diffed tag by tag; the text diff has hunks, additions and removals."""
    assert html_lines("<p>a</p> <p>b</p>") == ["<p>a</p>", "<p>b</p>"]
    diff = signature_diff(
        old_text="Ada\nEngineer",
        new_text="Ada\nSenior Engineer",
        old_html="<p>Ada</p><p>Engineer</p>",
        new_html="<p>Ada</p><p>Senior Engineer</p>",
    )
    assert [line.kind for line in diff.text] == [
        DiffKind.HUNK,
        DiffKind.SAME,
        DiffKind.REMOVED,
        DiffKind.ADDED,
    ]
    assert (diff.added, diff.removed) == (1, 1)
    assert [line.text for line in diff.html if line.kind == DiffKind.ADDED] == ["<p>Senior Engineer</p>"]
    first = signature_diff(old_text="", new_text="Ada", old_html="", new_html="<p>Ada</p>")
    assert [line.kind for line in first.text] == [DiffKind.HUNK, DiffKind.ADDED]
