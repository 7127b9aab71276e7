"""`flask teammates export`: every teammate, JSON lines or CSV, with every profile attribute."""

from __future__ import annotations

import csv
import io
import json

from tests.sync.conftest import Connected
from tests.sync.helpers import ok, okta_users, user_id
from webapp.sources.okta.directory import okta_state
from webapp.sync.models import SyncKind


def test_export_json_lines(connected: Connected) -> None:
    """One JSON object per line per teammate, profile values typed as Okta sent them."""
    org, app = connected.org, connected.app
    ok(app, SyncKind.FULL)
    result = app.test_cli_runner().invoke(args=["teammates", "export"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    users = {u["id"]: u for u in okta_users(org)}
    assert len(lines) == len(users)
    for line in lines:
        user = users[line["source_id"]]
        assert line["source"] == "okta" and line["status"] == user["status"]
        assert line["profile"] == user["profile"]
        assert line["active"] == (user["status"] not in ("DEPROVISIONED", "SUSPENDED"))
        assert line["state"] == okta_state(user["status"])  # STAGED: not_yet_active
        assert line["email"] == user["profile"]["email"] and line["display_name"]
        assert set(line) == {
            "teammate_id",
            "source",
            "source_id",
            "status",
            "active",
            "state",
            "removed",
            "email",
            "display_name",
            "profile",
        }


def test_export_csv(connected: Connected) -> None:
    """A header (fixed columns, then `profile.<attribute>` in the schema's order), one row each;
    arrays as JSON, booleans as true/false, null as empty."""
    org, app = connected.org, connected.app
    ok(app, SyncKind.FULL)
    result = app.test_cli_runner().invoke(args=["teammates", "export", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    header = result.output.splitlines()[0].split(",")
    assert header[:9] == [
        "teammate_id",
        "source",
        "source_id",
        "status",
        "active",
        "state",
        "removed",
        "email",
        "display_name",
    ]
    assert header[9:12] == ["profile.login", "profile.firstName", "profile.lastName"]
    assert "profile.languages" in header and "profile.isManager" in header
    li_na = next(u for u in okta_users(org) if u["profile"].get("displayName") == "李娜")
    row = next(r for r in rows if r["source_id"] == li_na["id"])
    assert json.loads(row["profile.languages"]) == li_na["profile"]["languages"]
    assert row["profile.isManager"] == "true" and row["profile.secondEmail"] == ""
    assert row["profile.yearsOfService"] == str(li_na["profile"]["yearsOfService"])
    assert row["display_name"] == "李娜" and row["active"] == "true" and row["state"] == "active"
    assert len(rows) == len(okta_users(org))


def test_export_of_an_empty_instance(connected: Connected) -> None:
    """No teammates yet: nothing for JSON, a header only for CSV."""
    runner = connected.app.test_cli_runner()
    assert runner.invoke(args=["teammates", "export"]).output == ""
    assert runner.invoke(args=["teammates", "export", "--format", "csv"]).output.startswith("teammate_id,")


def test_export_csv_escapes_formulas_from_okta(connected: Connected) -> None:
    """Okta values are untrusted: a cell a spreadsheet would run as a formula (=, +, -, @, tab or CR
    first) gets a leading apostrophe, as the private-links CSV does; JSON lines keep the value as sent."""
    org, app = connected.org, connected.app
    target = user_id(org, 0)
    hostile = {"title": "\r=3+3", "department": '=HYPERLINK("https://evil.example")', "nickName": "@SUM(A1)"}
    hostile |= {"city": "+1+2", "organization": "-2+3", "costCenter": "\t=1"}
    org.update_user(target, profile=hostile)
    ok(app, SyncKind.FULL)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["teammates", "export", "--format", "csv"])
    assert result.exit_code == 0, result.output
    row = next(r for r in csv.DictReader(io.StringIO(result.output)) if r["source_id"] == target)
    for name, value in hostile.items():
        assert row[f"profile.{name}"] == "'" + value
    assert row["teammate_id"].isdigit() and row["profile.login"] == row["email"]
    lines = [json.loads(line) for line in runner.invoke(args=["teammates", "export"]).output.splitlines()]
    assert next(line for line in lines if line["source_id"] == target)["profile"]["title"] == "\r=3+3"
