"""Signet's one typed settings object, read from the environment and an optional `.env` file."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    BASE_URL: str = Field(default="http://127.0.0.1:8000", description="Public URL of this instance.")
    PORT: int = Field(default=8000, ge=1, le=65535)
    INSTANCE_PATH: str | None = Field(default=None, description="Folder for the database, keys and uploads.")
    ENCRYPTION_KEY: SecretStr | None = Field(
        default=None,
        description="Fernet key(s) for tokens at rest, comma-separated, newest first; "
        "generated into the instance folder when unset.",
    )
    OKTA_HTTP_TIMEOUT: float = Field(default=10.0, gt=0, le=120, description="Seconds per call to Okta.")
    LOG_LEVEL: str = "INFO"
    PROXY_FIX_X_FOR: int = Field(
        default=0, ge=0, le=5, description="How many reverse proxies in front set X-Forwarded-For."
    )

    @field_validator("BASE_URL")
    @classmethod
    def _base_url_is_absolute(cls, value: str) -> str:
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
    """Read the instance's generated secret, creating it (mode 0600) on first start.

    `O_EXCL` makes the creation atomic, so two gunicorn workers starting together agree on one key.
    """
    instance_path.mkdir(parents=True, exist_ok=True)
    key_file = instance_path / SECRET_KEY_FILENAME
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    except FileExistsError:
        return key_file.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(48))
    return key_file.read_text(encoding="utf-8").strip()
