"""Functions run in child processes by the token tests (importable, so `spawn` can pickle them)."""

from __future__ import annotations

import os
from typing import Any


def _app(config: dict[str, Any]) -> Any:
    from webapp import create_app

    return create_app(config)


def refresh_in_child(config: dict[str, Any], start: Any, results: Any) -> None:
    """Wait for the start signal, then ask the token service for an access token."""
    from webapp.sources.okta.service import okta_services

    app = _app(config)
    with app.app_context():
        start.wait(10)
        try:
            results.put(("ok", okta_services.tokens.access_token()))
        except Exception as error:  # reported to the parent test
            results.put(("error", f"{type(error).__name__}: {error}"))


def crash_after_rotation(config: dict[str, Any]) -> None:
    """Refresh, then die (no cleanup at all) after Okta rotated the token but before it is saved."""
    from webapp.sources.okta.service import okta_services
    from webapp.sources.okta.tokens import TokenService

    def die(self: TokenService, **_: Any) -> None:
        os._exit(17)

    TokenService._save_refreshed = die  # type: ignore[method-assign,assignment]
    app = _app(config)
    with app.app_context():
        okta_services.tokens.access_token()
    os._exit(0)  # not reached
