"""``python -m okta_sandbox``: serve a sandbox org until Ctrl-C (used by ``make demo``)."""

from __future__ import annotations

import signal
import sys
import time
from types import FrameType

import click

from okta_sandbox.apps import DEFAULT_REDIRECT_URI
from okta_sandbox.limits import DEFAULT_RATE_LIMITS, RATE_LIMIT_PRESETS, check_rate_limits
from okta_sandbox.models import SandboxApp
from okta_sandbox.sandbox import OktaSandbox
from okta_sandbox.seed import USER_PASSWORD
from okta_sandbox.server import SandboxServer


def _parse_rate_limits(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, int]:
    """``--rate-limit BUCKET=N`` (repeatable) as ``{bucket: n}``; a clear error for a bad one."""
    pairs: dict[str, str] = {}
    for value in values:
        name, sep, number = value.partition("=")
        if not sep or not name.strip() or not number.strip():
            raise click.BadParameter(f"{value!r} is not BUCKET=PER_MINUTE (e.g. users_list=50)")
        pairs[name.strip()] = number.strip()
    try:
        return check_rate_limits(pairs)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


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
@click.option(
    "--rate-limit-preset",
    type=click.Choice(sorted(RATE_LIMIT_PRESETS)),
    default=None,
    help="Start every bucket from a preset (real-2026: users/schemas 50, token 150 per minute).",
)
@click.option(
    "--rate-limit",
    "rate_limits",
    multiple=True,
    callback=_parse_rate_limits,
    metavar="BUCKET=N",
    help=f"Per-minute limit of one bucket, after any preset (repeatable). Buckets: "
    f"{', '.join(DEFAULT_RATE_LIMITS)}.",
)
@click.option(
    "--dpop",
    is_flag=True,
    default=False,
    help="Require DPoP proofs for the SPA app's tokens (Okta's dpop_bound_access_tokens).",
)
@click.option("--access-log/--no-access-log", default=True, show_default=True, help="Log each request.")
def main(
    host: str,
    port: int,
    users: int,
    seed: int,
    redirect_uris: tuple[str, ...],
    client_id: str | None,
    rate_limit_preset: str | None,
    rate_limits: dict[str, int],
    dpop: bool,
    access_log: bool,
) -> None:
    """Run a local Okta-compatible org with the control API enabled under /__sandbox/."""
    started = time.perf_counter()
    sandbox = OktaSandbox(seed=seed, users=users)
    app = _configure_app(sandbox, client_id=client_id, redirect_uris=redirect_uris)
    if dpop:
        app = sandbox.set_dpop_required(app.client_id, True)
    if rate_limit_preset is not None:
        sandbox.apply_rate_limit_preset(rate_limit_preset)
    sandbox.set_rate_limits(rate_limits)
    try:
        server = SandboxServer(sandbox, host=host, port=port, control_api=True, access_log=access_log)
    except OSError as exc:
        raise click.ClickException(f"Cannot listen on {host}:{port}: {exc}") from exc
    click.echo(_banner(sandbox, server, app, elapsed=time.perf_counter() - started))
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


def _configure_app(
    sandbox: OktaSandbox, *, client_id: str | None, redirect_uris: tuple[str, ...]
) -> SandboxApp:
    """The SPA app the CLI announces: the seeded one, or a new one with ``client_id``."""
    uris = list(redirect_uris) or [DEFAULT_REDIRECT_URI]
    if client_id:
        app = sandbox.register_app(client_id=client_id, redirect_uris=uris)
    else:
        app = sandbox.update_app(sandbox.default_app.client_id, redirect_uris=uris)
    sandbox.default_app = app
    return app


def _banner(sandbox: OktaSandbox, server: SandboxServer, app: SandboxApp, *, elapsed: float) -> str:
    limits = sandbox.rate_limits()
    changed = {name: value for name, value in limits.items() if DEFAULT_RATE_LIMITS[name] != value}
    lines = [
        f"Okta sandbox listening on {server.origin}",
        f"  users                : {sandbox.user_count()} (seed {sandbox.seed}, built in {elapsed:.2f} s)",
        f"  issuer / Okta domain : {server.origin}",
        f"  SPA client id        : {app.client_id}",
        f"  redirect URI(s)      : {', '.join(app.redirect_uris)}",
        f"  granted scopes       : {' '.join(sorted(app.granted_scopes))}",
        f"  admin sign-in        : {sandbox.admin_login} / {sandbox.admin_password}",
        f"  other users' password: {USER_PASSWORD}",
        f"  control API          : {server.origin}/__sandbox/",
        "  rate limits / minute : "
        + (", ".join(f"{name}={value}" for name, value in changed.items()) or "Okta defaults"),
        f"  DPoP required        : {'yes' if app.dpop_bound_access_tokens else 'no'}",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    main()
