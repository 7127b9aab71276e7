"""Signet: a self-hosted email-signature manager fed by the team's directory."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, NoReturn

from flask import Flask
from sqlalchemy import make_url
from werkzeug.middleware.proxy_fix import ProxyFix

from webapp import cli, netguard, rendering, security
from webapp.db import DatabaseUnreachableError, check_reachable
from webapp.extensions import csrf, db, htmx, login_manager
from webapp.instance_files import InstanceFolderError, prepare_instance_folder, protect_sqlite_file
from webapp.settings import Settings, check_secret_strength, load_or_create_secret_key
from webapp.sources.okta.service import okta_services


def create_app(config_overrides: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure a Signet application.

    Settings come from the environment (and `.env`), then `config_overrides` (tests) win.
    """
    overrides = dict(config_overrides or {})
    settings = Settings(**{k: v for k, v in overrides.items() if k in Settings.model_fields})
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_relative_config=True,
        instance_path=str(Path(settings.INSTANCE_PATH).resolve()) if settings.INSTANCE_PATH else None,
    )
    try:
        prepare_instance_folder(Path(app.instance_path))
        app.config.from_mapping(_config_from_settings(settings, Path(app.instance_path)))
        app.config.update(overrides)
        check_secret_strength(app.config["SECRET_KEY"])
        app.extensions["signet_settings"] = settings
        logging.basicConfig(level=settings.LOG_LEVEL)

        if app.config["PROXY_FIX_X_FOR"]:
            app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=1)  # type: ignore[method-assign]

        _open_database(app)
        okta_services.init_app(app)
    except (InstanceFolderError, DatabaseUnreachableError) as error:
        fail_startup(str(error))
    netguard.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    security.init_app(app)
    rendering.init_app(app)
    cli.init_app(app)
    _register_blueprints(app)
    return app


class StartupError(SystemExit):
    """Signet cannot start; `message` says why in one sentence (already printed, no traceback).

    Exit status 4 is gunicorn's "App failed to load": it stops instead of restarting workers forever.
    """

    EXIT_STATUS = 4

    def __init__(self, message: str) -> None:
        super().__init__(self.EXIT_STATUS)
        self.message = message


def fail_startup(message: str) -> NoReturn:
    """Print `message` to stderr and stop the process (gunicorn, `flask ...`) with `StartupError`."""
    print(f"Signet cannot start: {message}", file=sys.stderr)  # noqa: T201 - before logging is set up
    raise StartupError(message)


def _open_database(app: Flask) -> None:
    """Create the engine; check the database answers (within the connect timeout) unless told not to."""
    url = make_url(app.config["DATABASE_URL"])
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        protect_sqlite_file(Path(url.database))
    db.init_app(app)
    if app.config.get("DATABASE_CHECK_ON_START", True):
        with app.app_context():
            check_reachable(db.engine, app.config["DATABASE_URL"])
            # No connection is kept from start-up: gunicorn may fork after this (--preload).
            db.dispose()


def _config_from_settings(settings: Settings, instance_path: Path) -> dict[str, Any]:
    secret = settings.SECRET_KEY.get_secret_value() if settings.SECRET_KEY else None
    return {
        "SECRET_KEY": secret or load_or_create_secret_key(instance_path),
        "DATABASE_URL": settings.DATABASE_URL or f"sqlite:///{instance_path / 'signet.db'}",
        "BASE_URL": settings.BASE_URL,
        "PROXY_FIX_X_FOR": settings.PROXY_FIX_X_FOR,
        "OKTA_ALLOW_LOOPBACK": settings.OKTA_ALLOW_LOOPBACK,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",  # Lax, never Strict: the Okta callback is a cross-site GET.
        "SESSION_COOKIE_SECURE": settings.uses_https,
        "SESSION_COOKIE_NAME": "signet_session",
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": settings.uses_https,
        # The CSRF token lives as long as the session; an admin who leaves a tab open for an
        # afternoon should not lose a form to a token that expired after an hour.
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": settings.uses_https,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    }


def _register_blueprints(app: Flask) -> None:
    from webapp.accounts import views as accounts_views
    from webapp.delivery import views as delivery_views
    from webapp.fields import views as fields_views
    from webapp.pages import dashboard, health, navigation, settings
    from webapp.rules import views as rules_views
    from webapp.signature_templates import views as signature_templates_views
    from webapp.signatures import views as signatures_views
    from webapp.sources.okta import views as okta_views
    from webapp.sync import views as sync_views
    from webapp.teammates import views as teammates_views

    for blueprint in (
        accounts_views.bp,
        dashboard.bp,
        settings.bp,
        health.bp,
        okta_views.bp,
        teammates_views.bp,
        sync_views.bp,
        fields_views.bp,
        signature_templates_views.bp,
        rules_views.bp,
        signatures_views.bp,
        delivery_views.bp,
    ):
        app.register_blueprint(blueprint)
    navigation.init_app(app)
