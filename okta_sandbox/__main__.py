"""``python -m okta_sandbox``: serve a sandbox org until Ctrl-C (used by ``make demo``)."""

from __future__ import annotations

import signal
import sys
import time
from types import FrameType

import click

from okta_sandbox.sandbox import DEFAULT_REDIRECT_URI, OktaSandbox
from okta_sandbox.seed import USER_PASSWORD
from okta_sandbox.server import SandboxServer


@click.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Interface to bind (loopback by default)."
)
@click.option(
    "--port", default=9000, show_default=True, type=int, help="Port to listen on (0 picks a free one)."
)
@click.option("--users", default=25, show_default=True, type=int, help="How many seeded teammates.")
@click.option("--seed", default=1, show_default=True, type=int, help="Seed for deterministic data and ids.")
@click.option(
    "--redirect-uri",
    "redirect_uris",
    multiple=True,
    help=f"Login redirect URI for the SPA app (repeatable). Default: {DEFAULT_REDIRECT_URI}",
)
@click.option("--client-id", default=None, help="Use this SPA client id instead of the seeded one.")
@click.option("--access-log/--no-access-log", default=True, show_default=True, help="Log each request.")
def main(
    host: str,
    port: int,
    users: int,
    seed: int,
    redirect_uris: tuple[str, ...],
    client_id: str | None,
    access_log: bool,
) -> None:
    """Run a local Okta-compatible org with the control API enabled under /__sandbox/."""
    started = time.perf_counter()
    sandbox = OktaSandbox(seed=seed, users=users)
    uris = list(redirect_uris) or [DEFAULT_REDIRECT_URI]
    if client_id:
        app = sandbox.register_app(client_id=client_id, redirect_uris=uris)
        sandbox.default_app = app
    else:
        app = sandbox.update_app(sandbox.default_app.client_id, redirect_uris=uris)
        sandbox.default_app = app
    try:
        server = SandboxServer(sandbox, host=host, port=port, control_api=True, access_log=access_log)
    except OSError as exc:
        raise click.ClickException(f"Cannot listen on {host}:{port}: {exc}") from exc
    elapsed = time.perf_counter() - started
    lines = [
        f"Okta sandbox listening on {server.origin}",
        f"  users                : {sandbox.user_count()} (seed {seed}, built in {elapsed:.2f} s)",
        f"  issuer / Okta domain : {server.origin}",
        f"  SPA client id        : {app.client_id}",
        f"  redirect URI(s)      : {', '.join(app.redirect_uris)}",
        f"  granted scopes       : {' '.join(sorted(app.granted_scopes))}",
        f"  admin sign-in        : {sandbox.admin_login} / {sandbox.admin_password}",
        f"  other users' password: {USER_PASSWORD}",
        f"  control API          : {server.origin}/__sandbox/",
        "Press Ctrl-C to stop.",
    ]
    click.echo("\n".join(lines))
    # `make demo` and process managers stop us with SIGTERM: treat it like Ctrl-C for a clean exit.
    signal.signal(signal.SIGTERM, _interrupt)
    sys.stdout.flush()
    try:
        server.serve_forever()  # werkzeug's loop returns on KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    click.echo("Okta sandbox stopped.")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    main()
