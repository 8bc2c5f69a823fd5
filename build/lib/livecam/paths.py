"""Where livecam keeps the user's files: `$LIVECAM_HOME/<kind>` when set (tests, portable
installs), else the XDG folders."""

from __future__ import annotations

import os
from pathlib import Path


def _xdg(variable: str, default: str, kind: str, under_xdg: str = "") -> Path:
    home = os.environ.get("LIVECAM_HOME")
    if home:
        return Path(home) / kind
    base = os.environ.get(variable) or str(Path.home() / default)
    return Path(base) / "livecam" / under_xdg


def user_preset_dir() -> Path:
    """Presets that override the built-in ones."""
    return _xdg("XDG_CONFIG_HOME", ".config", "presets", "presets")


def user_config_dir() -> Path:
    """Hotkeys, control-server settings and token."""
    return _xdg("XDG_CONFIG_HOME", ".config", "config")


def user_data_dir() -> Path:
    """Enrolled faces."""
    return _xdg("XDG_DATA_HOME", ".local/share", "data")


def user_cache_dir() -> Path:
    """Measurements that can be rebuilt (the device profile)."""
    return _xdg("XDG_CACHE_HOME", ".cache", "cache")
