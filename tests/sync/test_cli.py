"""`flask sync [--full]`: one sync in the foreground, its summary and its exit status."""

from __future__ import annotations

from flask import Flask

from tests.sync.conftest import Connected
from tests.sync.helpers import okta_users, runs
from webapp.sync.models import SyncKind, SyncRunStatus, SyncTrigger


def test_sync_full_prints_the_summary(connected: Connected) -> None:
    """`sync --full` reads everyone and says what it did; exit status 0."""
    result = connected.app.test_cli_runner().invoke(args=["sync", "--full"])
    assert result.exit_code == 0, result.output
    count = len(okta_users(connected.org))
    assert "Full sync succeeded in" in result.output
    assert f"{count:,} users in 1 pages, 2 API requests." in result.output
    assert f"Created {count:,}, updated 0" in result.output
    (run,) = runs(connected.app)
    assert (run.kind, run.trigger) == (SyncKind.FULL, SyncTrigger.CLI)


def test_sync_incremental_then_failure_exits_non_zero(connected: Connected) -> None:
    """`sync` runs incrementally once a full sync exists; a failed sync exits with status 1 and its error."""
    runner = connected.app.test_cli_runner()
    assert runner.invoke(args=["sync"]).exit_code == 0  # the first one runs as full
    result = runner.invoke(args=["sync"])
    assert result.exit_code == 0 and "Incremental sync succeeded" in result.output
    connected.org.inject_fault("http_error", status=500, count=1000, path_prefix="/api/v1/users")
    result = runner.invoke(args=["sync"])
    assert result.exit_code == 1
    assert "Incremental sync failed" in result.output and "Okta kept failing" in result.output
    assert runs(connected.app)[-1].status == SyncRunStatus.FAILED


def test_sync_without_okta_exits_non_zero(app: Flask) -> None:
    """Nothing to sync from: a clear message and exit status 1."""
    result = app.test_cli_runner().invoke(args=["sync"])
    assert result.exit_code == 1
    assert "No sync ran: Okta is not connected" in result.output


def test_sync_schema_reads_the_attributes_on_demand(connected: Connected) -> None:
    """`sync --schema` re-reads Okta's attribute schema alone (custom, non-string ones included)."""
    from webapp.extensions import db
    from webapp.teammates import store as teammates

    result = connected.app.test_cli_runner().invoke(args=["sync", "--schema"])
    assert result.exit_code == 0, result.output
    with connected.app.app_context():
        attributes = teammates.list_source_attributes(session=db.session, source="okta")
    custom = [attribute for attribute in attributes if attribute.custom]
    assert f"Read {len(attributes)} attributes from Okta ({len(custom)} custom)." in result.output
    assert {attribute.name for attribute in attributes} >= {
        "title",
        "department",
        "languages",
        "yearsOfService",
    }
    assert runs(connected.app) == []  # no sync ran, only the schema was read


def test_sync_schema_without_okta_says_so(app: Flask) -> None:
    """With Okta not connected, `sync --schema` says so and exits non-zero."""
    result = app.test_cli_runner().invoke(args=["sync", "--schema"])
    assert result.exit_code == 1
    assert "Okta is not connected" in result.output
