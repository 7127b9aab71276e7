"""`flask --app wsgi sync [--full]`: one sync in the foreground, with a progress bar and a summary."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from tqdm import tqdm  # type: ignore[import-untyped]

from webapp.sources.okta.errors import OktaError
from webapp.sync.models import SyncKind, SyncRun, SyncRunStatus, SyncTrigger
from webapp.sync.service import refresh_schema, run_sync

LOCK_WAIT_SECONDS = 60.0


def summary(run: SyncRun) -> str:
    """One paragraph saying what a run did."""
    lines = [
        f"{run.kind.capitalize()} sync {run.status} in {run.duration_seconds or 0.0:.1f} s: "
        f"{run.users_processed:,} users in {run.pages:,} pages, {run.api_requests:,} API requests.",
        f"Created {run.created:,}, updated {run.updated:,}, deactivated {run.deactivated:,}, "
        f"reactivated {run.reactivated:,}, removed {run.removed:,}.",
    ]
    if run.rate_limit_waits:
        lines.append(
            f"Waited {run.rate_limit_waits:,} times for Okta's rate limit "
            f"({run.rate_limit_wait_seconds:.0f} s in all)."
        )
    if run.status == SyncRunStatus.HELD:
        lines.append(
            f"{run.held:,} deactivations/removals are held: more than the threshold at once. "
            "Confirm or dismiss them on the Sync page."
        )
    return "\n".join(lines)


@click.command("sync")
@click.option("--full", is_flag=True, help="Read every user (and the schema), not only those changed.")
@click.option(
    "--schema", "schema_only", is_flag=True, help="Only re-read the attribute schema (one request)."
)
@with_appcontext
def sync_command(full: bool, schema_only: bool) -> None:
    """Sync teammates from Okta now, in the foreground (exit status 1 if it fails)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if schema_only:
        _refresh_schema(app)
        return
    kind = SyncKind.FULL if full else SyncKind.INCREMENTAL
    with tqdm(desc=f"{kind.capitalize()} sync", unit=" users", dynamic_ncols=True, leave=False) as bar:

        def progress(run: SyncRun) -> None:
            bar.update(run.users_processed - bar.n)
            bar.set_postfix(
                pages=run.pages, requests=run.api_requests, waits=run.rate_limit_waits, refresh=False
            )

        outcome = run_sync(
            app, kind=kind, trigger=SyncTrigger.CLI, wait_for_lock=LOCK_WAIT_SECONDS, progress=progress
        )
    if outcome.run is None:
        raise click.ClickException(f"No sync ran: {outcome.skipped}")
    click.echo(summary(outcome.run))
    if outcome.run.error:
        raise click.ClickException(outcome.run.error)


def _refresh_schema(app: Flask) -> None:
    """`sync --schema`: the source's attributes, read now (a full sync also reads them)."""
    try:
        attributes = refresh_schema(app)
    except OktaError as error:
        raise click.ClickException(f"Okta's attribute schema could not be read: {error}") from error
    if attributes is None:
        raise click.ClickException("Okta is not connected (or needs reconnecting): see Setup.")
    custom = sum(1 for attribute in attributes if attribute.custom)
    click.echo(f"Read {len(attributes)} attributes from Okta ({custom} custom).")
