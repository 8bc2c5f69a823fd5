"""The control API's token: random, made on first run, kept readable by the user only."""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from livecam.paths import user_config_dir

TOKEN_FILE = "control-token"


def token_path() -> Path:
    return user_config_dir() / TOKEN_FILE


def load_or_create_token(path: Path | None = None) -> str:
    """The stored token, or a new one written with mode 0600."""
    path = path or token_path()
    if path.is_file():
        token = path.read_text(encoding="utf-8").strip()
        if len(token) >= 16:
            return token
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token + "\n")
    return token


def token_matches(given: str | None, token: str) -> bool:
    """Constant-time comparison, so the token cannot be guessed a character at a time."""
    return given is not None and hmac.compare_digest(given.encode(), token.encode())
