"""Signet's one typed settings object, read from the environment and an optional `.env` file."""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from webapp.instance_files import read_or_create_private_file

# Values people paste from tutorials; a key from this list signs nothing of ours.
KNOWN_WEAK_SECRETS = frozenset(
    {"dev", "development", "secret", "changeme", "changethis", "change-me", "password", "test", "flask"}
)
MIN_SECRET_LENGTH = 32
SECRET_KEY_FILENAME = "secret_key"  # noqa: S105 - a file name, not a secret


class WeakSecretKeyError(RuntimeError):
    """Raised at start-up when `SECRET_KEY` is too weak to protect sessions and stored tokens."""


class Settings(BaseSettings):
    """Instance configuration. Every field can be set as an environment variable of the same name."""

    model_config = SettingsConfigDict(env_file=".env", env_ignore_empty=True, extra="ignore")

    DATABASE_URL: str | None = Field(
        default=None, description="SQLAlchemy URL; defaults to a SQLite file in the instance folder."
    )
    SECRET_KEY: SecretStr | None = Field(
        default=None, description="Signs sessions; generated and kept in the instance folder when unset."
    )
    BASE_URL: str = Field(
        default="",
        description="Public URL of this instance; when unset it follows HOST and PORT "
        "(http://HOST:PORT, 127.0.0.1 for a wildcard HOST).",
    )
    HOST: str = Field(default="127.0.0.1", max_length=255, description="Address `make run` listens on.")
    PORT: int = Field(default=8000, ge=1, le=65535, description="Port `make run` listens on.")
    INSTANCE_PATH: str | None = Field(default=None, description="Folder for the database, keys and uploads.")
    ENCRYPTION_KEY: SecretStr | None = Field(
        default=None,
        description="Fernet key(s) for tokens at rest, comma-separated, newest first; "
        "generated into the instance folder when unset.",
    )
    # At most 20 s: a token refresh must finish well inside Okta's 30 s rotation leeway.
    OKTA_HTTP_TIMEOUT: float = Field(default=10.0, gt=0, le=20, description="Seconds per call to Okta.")
    OKTA_ALLOW_LOOPBACK: bool = Field(
        default=False,
        description="Let Signet reach Okta at loopback addresses and over plain http: only for the local "
        "Okta sandbox (tests, `make demo`). Never set it in production.",
    )
    OKTA_RATE_LIMIT_RESERVE: float = Field(
        default=0.10,
        ge=0,
        le=0.5,
        description="Share of each Okta rate-limit bucket left to the org's other apps (at least 2 "
        "requests): Signet waits for the reset instead of using it.",
    )
    OKTA_MAX_WAIT: float = Field(
        default=15.0,
        ge=0,
        le=120,
        description="Seconds a page may wait for Okta's rate limit or retries before it says "
        "'try again in N s' (background jobs wait longer).",
    )
    SCHEDULER_ENABLED: bool = Field(
        default=True,
        description="Run background jobs (Okta sync, clean-ups) in the server's processes; one of them "
        "leads at a time, so each job runs once per deployment whatever the number of workers or hosts.",
    )
    SYNC_INTERVAL_MINUTES: int = Field(
        default=1,
        ge=1,
        le=60,
        description="Minutes between incremental Okta syncs until an admin picks another interval.",
    )
    SYNC_RATE_LIMIT_RESERVE: float = Field(
        default=0.20,
        ge=0,
        le=0.9,
        description="Share of each Okta rate-limit bucket the sync leaves to the org's other apps (at "
        "least 2 requests): it waits for the window's reset instead of using it.",
    )
    SYNC_HOLD_FRACTION: float = Field(
        default=0.20,
        ge=0,
        le=1,
        description="A sync that would deactivate or remove more than this share of the active teammates "
        "applies everything else and holds those for an admin to confirm.",
    )
    SYNC_HOLD_MINIMUM: int = Field(
        default=5,
        ge=0,
        description="A sync may always deactivate or remove this many teammates without an admin.",
    )
    LOG_LEVEL: str = "INFO"
    PROXY_FIX_X_FOR: int = Field(
        default=0, ge=0, le=5, description="How many reverse proxies in front set X-Forwarded-For."
    )

    @model_validator(mode="after")
    def _base_url_follows_host_and_port(self) -> Settings:
        # `make run PORT=8080` must not tell Okta a redirect URI on :8000 (step 5).
        if not self.BASE_URL:
            host = "127.0.0.1" if self.HOST in {"0.0.0.0", "::", ""} else self.HOST  # noqa: S104
            host = f"[{host}]" if ":" in host else host
            self.BASE_URL = f"http://{host}:{self.PORT}"
        return self

    @field_validator("BASE_URL")
    @classmethod
    def _base_url_is_absolute(cls, value: str) -> str:
        if not value:
            return value
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError("BASE_URL must be an absolute http(s) URL, e.g. https://signet.example.com")
        return value.rstrip("/")

    @property
    def uses_https(self) -> bool:
        """Whether the instance is served over https (cookies then get the Secure flag)."""
        return urlsplit(self.BASE_URL).scheme == "https"


def check_secret_strength(secret: str) -> None:
    """Refuse obviously weak keys: short, well known, or made of very few distinct characters."""
    if secret.strip().lower() in KNOWN_WEAK_SECRETS:
        raise WeakSecretKeyError("SECRET_KEY is a well-known placeholder value; set a long random value.")
    if len(secret) < MIN_SECRET_LENGTH:
        raise WeakSecretKeyError(
            f"SECRET_KEY is {len(secret)} characters long; "
            f"use at least {MIN_SECRET_LENGTH} random characters "
            '(for example: python -c "import secrets; print(secrets.token_urlsafe(48))"), '
            "or unset it to let Signet generate one."
        )
    if len(set(secret)) < 10:
        raise WeakSecretKeyError("SECRET_KEY repeats too few distinct characters to be random.")


def load_or_create_secret_key(instance_path: Path) -> str:
    """Read the instance's generated secret, creating it (mode 0600) on first start."""
    content = read_or_create_private_file(
        instance_path / SECRET_KEY_FILENAME, lambda: secrets.token_urlsafe(48).encode("ascii")
    )
    return content.decode("ascii")
