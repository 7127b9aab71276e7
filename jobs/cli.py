"""`flask --app wsgi jobs status`: who runs the background jobs, and when they run next."""

from __future__ import annotations

from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from jobs.registry import job_specs, resolve_target
from webapp.extensions import db
from webapp.scheduling import store
from webapp.scheduling.lease import SCHEDULER_LEASE


@click.group("jobs")
def jobs_group() -> None:
    """Background jobs (Okta sync, clean-ups)."""


@jobs_group.command("status")
@with_appcontext
def status_command() -> None:
    """Show which process leads (holds the scheduler lease) and each job's next run."""
    with db.session_scope(writer=False) as session:
        now = store.database_now(session=session)
        lease = store.get_lease(session=session, name=SCHEDULER_LEASE)
    if lease is None:
        click.echo("Leader: none yet (no server has started its scheduler on this database).")
    elif lease.expires_at > now:
        click.echo(
            f"Leader: {lease.owner}, since {_when(lease.acquired_at)}; "
            f"lease renewed {_when(lease.renewed_at)}, valid until {_when(lease.expires_at)}."
        )
    else:
        click.echo(
            f"Leader: none (the lease is free since {_when(lease.expires_at)}; last held by {lease.owner})."
            " Is a server running with SCHEDULER_ENABLED?"
        )
    click.echo("Jobs:")
    for spec in job_specs(current_app):
        missing = "" if resolve_target(spec.target) else "  (not available yet)"
        next_run = spec.next_run(current_app, now)
        click.echo(
            f"  {spec.id:<24} {spec.describe(current_app):<22} next {_when(next_run)}  {spec.target}{missing}"
        )


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z") if moment else "never"
