"""Secrets at rest: source tokens and webhook keys are Fernet-encrypted with SLUSHA_SECRET_KEY."""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from slusha.config import Settings
from slusha.errors import ConfigError

MISSING_KEY = (
    "SLUSHA_SECRET_KEY is not set: it encrypts source credentials at rest. Generate one with "
    "`python -c 'import secrets; print(secrets.token_urlsafe(32))'` and keep it safe (losing "
    "it means entering every source's secrets again)"
)


class SecretBox:
    """Encrypts and decrypts a JSON object of secrets with a key derived from the secret key."""

    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ConfigError(MISSING_KEY)
        # HKDF (RFC 5869) turns a passphrase of any length into the 32-byte Fernet key, and the
        # "info" label keeps this key distinct from others derived from the same secret.
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"slusha source secrets v1"
        ).derive(secret_key.encode("utf-8"))
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        """The box for ``settings.secret_key``; ``ConfigError`` saying how to set it when empty."""
        return cls(settings.secret_key.get_secret_value())

    def encrypt(self, values: dict[str, Any]) -> str:
        """A Fernet token of ``values`` as JSON."""
        return self._fernet.encrypt(json.dumps(values, sort_keys=True).encode()).decode("ascii")

    def decrypt(self, token: str | None) -> dict[str, Any]:
        """The secrets in ``token``; a clear error when the key changed."""
        if not token:
            return {}
        try:
            data = json.loads(self._fernet.decrypt(token.encode("ascii")))
        except InvalidToken:
            raise ConfigError(
                "stored source secrets cannot be decrypted: SLUSHA_SECRET_KEY differs from the "
                "key they were saved with (restore the old key, or enter the secrets again)"
            ) from None
        return data if isinstance(data, dict) else {}
