"""Command-line tools: `flask --app wsgi create-admin EMAIL`, `flask --app wsgi migrate`,
`flask --app wsgi jobs status`, `flask --app wsgi sync [--full]`,
`flask --app wsgi teammates export [--format json|csv]`,
`flask --app wsgi signatures render --template FILE (--teammate ID | --profile JSON_FILE) [--text]`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from webapp.accounts import store as accounts
from webapp.audit.store import record_event
from webapp.db import DatabaseUnreachableError, check_reachable
from webapp.extensions import db
from webapp.schema import current_revision, head_revision, upgrade_to_head


@click.command("create-admin")
@with_appcontext
@click.argument("email")
@click.password_option(prompt="Password for the new admin", confirmation_prompt=True)
def create_admin_command(email: str, password: str) -> None:
    """Create an admin account (prompts for the password)."""
    with db.session_scope() as session:
        try:
            admin = accounts.create_admin(session=session, email=email, password=password)
        except accounts.AccountError as error:
            raise click.ClickException(str(error)) from error
        record_event(session=session, action="admin.created", actor=admin, summary="Created from the CLI")
    click.echo(f"Admin {admin.email} created. Sign in at {current_app.config['BASE_URL']}/login")


@click.command("migrate")
@with_appcontext
def migrate_command() -> None:
    """Apply database migrations up to the newest schema (safe to run on every start)."""
    try:
        check_reachable(db.engine, current_app.config["DATABASE_URL"])
    except DatabaseUnreachableError as error:
        raise click.ClickException(str(error)) from error
    before = current_revision(db.engine)
    upgrade_to_head(current_app.config["DATABASE_URL"])
    after = current_revision(db.engine)
    if before == after:
        click.echo(f"Database schema is up to date ({after}).")
    else:
        click.echo(f"Database schema upgraded: {before or 'empty'} -> {after}.")


@click.command("check-schema")
@with_appcontext
def check_schema_command() -> None:
    """Exit non-zero if the database is not at the newest schema."""
    current, head = current_revision(db.engine), head_revision()
    if current != head:
        raise click.ClickException(
            f"Database is at {current or 'empty'}, code expects {head}: run `make migrate`."
        )
    click.echo(f"Database schema is at {head}.")


def init_app(app: Flask) -> None:
    """Register the commands with `flask`."""
    app.cli.add_command(create_admin_command)
    app.cli.add_command(migrate_command)
    app.cli.add_command(check_schema_command)
    from jobs.cli import jobs_group  # jobs import webapp: loaded here so that either may load first

    app.cli.add_command(jobs_group)
    from webapp.sync.cli import sync_command
    from webapp.teammates.cli import teammates_group

    app.cli.add_command(sync_command)
    app.cli.add_command(teammates_group)
    from webapp.signature_templates.cli import signatures_group

    app.cli.add_command(signatures_group)
