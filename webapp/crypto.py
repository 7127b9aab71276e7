"""Encryption at rest for secrets kept in the database (Okta access and refresh tokens).

The key lives outside the database: `ENCRYPTION_KEY` in the environment, or a key file generated in
the instance folder (mode 0600) on first use. A copy of the database alone therefore reveals no token.
Fernet is AES-128-CBC with HMAC-SHA256 (https://cryptography.io/en/latest/fernet/); MultiFernet lets
an old key keep decrypting while a new one encrypts, so keys can be rotated.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from webapp.instance_files import read_or_create_private_file

ENCRYPTION_KEY_FILENAME = "encryption_key"


class SecretUnreadableError(RuntimeError):
    """A stored secret could not be decrypted (the key changed or the value was tampered with)."""


class SecretBox:
    """Encrypts and decrypts short secrets with the instance's key(s)."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def encrypt(self, plaintext: str) -> str:
        """Encrypt `plaintext` into an opaque ASCII token safe to store."""
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        """Decrypt a value produced by `encrypt`; raises `SecretUnreadableError` if it can't."""
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError) as error:
            raise SecretUnreadableError(
                "A stored secret could not be decrypted: the encryption key changed or the data was altered."
            ) from error


def load_or_create_key_file(instance_path: Path) -> bytes:
    """The instance's key file, created with mode 0600 on first use."""
    return read_or_create_private_file(instance_path / ENCRYPTION_KEY_FILENAME, Fernet.generate_key)


def secret_box_from_config(*, configured_keys: str | None, instance_path: Path) -> SecretBox:
    """Build the box from `ENCRYPTION_KEY` (comma-separated, newest first) or the instance key file."""
    if configured_keys:
        keys = [key.strip().encode("ascii") for key in configured_keys.split(",") if key.strip()]
    else:
        keys = [load_or_create_key_file(instance_path)]
    return SecretBox(keys)
