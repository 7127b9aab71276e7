"""``python -m okta_sandbox``: serve a sandbox org until Ctrl-C (used by ``make demo``)."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from types import FrameType

import click

from okta_sandbox.apps import DEFAULT_REDIRECT_URI
from okta_sandbox.limits import DEFAULT_RATE_LIMITS, RATE_LIMIT_PRESETS, check_rate_limits
from okta_sandbox.models import SandboxApp
from okta_sandbox.sandbox import OktaSandbox
from okta_sandbox.seed import USER_PASSWORD
from okta_sandbox.server import SandboxServer
from okta_sandbox.state_codec import StateFileError


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
@click.option(
    "--state-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Keep the org in this JSON file: loaded at start if it exists (then --users and --seed are "
    "ignored), saved after every change and on exit.",
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
    state_file: Path | None,
    access_log: bool,
) -> None:
    """Run a local Okta-compatible org with the control API enabled under /__sandbox/."""
    started = time.perf_counter()
    loaded = state_file is not None and state_file.exists()
    try:
        sandbox = OktaSandbox(seed=seed, users=users, state_file=state_file)
    except StateFileError as exc:
        raise click.ClickException(str(exc)) from exc
    # Options given on the command line win over a loaded state; defaults do not.
    app = _configure_app(sandbox, client_id=client_id, redirect_uris=redirect_uris, keep=loaded)
    if dpop:
        app = sandbox.set_dpop_required(app.client_id, True)
    if rate_limit_preset is not None:
        sandbox.apply_rate_limit_preset(rate_limit_preset)
    sandbox.set_rate_limits(rate_limits)
    try:
        server = SandboxServer(sandbox, host=host, port=port, control_api=True, access_log=access_log)
    except OSError as exc:
        sandbox.close()
        raise click.ClickException(f"Cannot listen on {host}:{port}: {exc}") from exc
    click.echo(_banner(sandbox, server, app, elapsed=time.perf_counter() - started, loaded=loaded))
    # `make demo` and process managers stop us with SIGTERM: treat it like Ctrl-C for a clean exit.
    signal.signal(signal.SIGTERM, _interrupt)
    sys.stdout.flush()
    try:
        server.serve_forever()  # werkzeug's loop returns on KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        sandbox.close()  # saves what the state file has not got yet (SIGTERM and Ctrl-C alike)
    click.echo("Okta sandbox stopped.")


def _configure_app(
    sandbox: OktaSandbox, *, client_id: str | None, redirect_uris: tuple[str, ...], keep: bool
) -> SandboxApp:
    """The SPA app the CLI announces: the default one, or the one with ``client_id`` (made if new).

    ``keep``: the org came from a state file, so only options actually given change it.
    """
    if keep and not client_id and not redirect_uris:
        return sandbox.default_app
    target = client_id or sandbox.default_app.client_id
    uris = list(redirect_uris) or [DEFAULT_REDIRECT_URI]
    existing = sandbox.get_app(target)
    if existing is None or (client_id and not keep):
        app = sandbox.register_app(client_id=target, redirect_uris=uris)
    elif redirect_uris or not keep:
        app = sandbox.update_app(target, redirect_uris=uris)
    else:
        app = existing
    sandbox.default_app = app
    return app


def _banner(
    sandbox: OktaSandbox, server: SandboxServer, app: SandboxApp, *, elapsed: float, loaded: bool
) -> str:
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
        f"  state file           : {_state_line(sandbox, loaded)}",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def _state_line(sandbox: OktaSandbox, loaded: bool) -> str:
    if sandbox.state_file is None:
        return "none (the org lives in memory only)"
    return f"{sandbox.state_file} ({'loaded' if loaded else 'new'})"


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    main()
