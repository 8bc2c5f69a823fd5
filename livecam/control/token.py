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
    path.parent.mkdir(parents=True, exist_ok=True)
    _owner_only(path.parent, 0o700)
    if path.is_file():
        _owner_only(path, 0o600)   # an older or copied file may be readable by others
        try:
            token = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            token = ""
        if len(token) >= 16 and token.isascii() and token.isprintable():
            return token
    token = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token + "\n")
    return token


def _owner_only(path: Path, mode: int) -> None:
    if os.name == "posix" and (path.stat().st_mode & 0o777) != mode:
        os.chmod(path, mode)


def token_matches(given: str | None, token: str) -> bool:
    """Constant-time comparison, so the token cannot be guessed a character at a time; a
    token with characters no real one has (non-ASCII, undecodable) simply does not match."""
    if given is None or not given.isascii():
        return False
    return hmac.compare_digest(given.encode("ascii"), token.encode("ascii"))
