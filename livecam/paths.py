"""Where livecam keeps the user's files: `$LIVECAM_HOME/<kind>` when set (tests, portable
installs), else the OS's own folders (platformdirs: XDG on Linux, %APPDATA% on Windows,
~/Library/Application Support on macOS)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import platformdirs

APP = "livecam"


def _folder(kind: str, base: Callable[[str], str], under: str = "") -> Path:
    home = os.environ.get("LIVECAM_HOME")
    if home:
        return Path(home) / kind
    return Path(base(APP)) / under


def user_preset_dir() -> Path:
    """Presets that override the built-in ones."""
    return _folder("presets", platformdirs.user_config_dir, "presets")


def user_config_dir() -> Path:
    """livecam.toml (hotkeys, control server, the usual stream) and the API token."""
    return _folder("config", platformdirs.user_config_dir)


def user_data_dir() -> Path:
    """Enrolled faces, and models that override the shipped ones (`models/`)."""
    return _folder("data", platformdirs.user_data_dir)


def user_cache_dir() -> Path:
    """Measurements that can be rebuilt (the device profile, thumbnails)."""
    return _folder("cache", platformdirs.user_cache_dir)
