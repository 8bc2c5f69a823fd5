"""The user's livecam.toml: the usual stream, control-server, privacy, recording and hotkey
settings.

The package's `defaults.toml` holds every default; the user's file (in the config folder,
see `livecam.paths`) overrides any key of it. Unknown keys are errors with a "did you mean".
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from livecam.adapt.ladder import QUALITIES
from livecam.config_tables import build_settings, read_text
from livecam.control.actions import Action
from livecam.control.hotkeys import check_bindings
from livecam.errors import ConfigError, PresetError
from livecam.loop.privacy import PRIVACY_MODES
from livecam.paths import user_config_dir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_FILE = "livecam.toml"


@dataclass(frozen=True, slots=True)
class RunDefaults:
    """[run]: what a plain `livecam run` starts; each flag given on the command line wins."""

    source: str = "demo"
    preset: str = "landmarks"
    sinks: tuple[str, ...] = ()
    face: str = ""
    quality: str = "balanced"
    mic: str = ""

    def __post_init__(self) -> None:
        if self.quality not in QUALITIES:
            raise PresetError(f"quality must be {', '.join(QUALITIES)}, got {self.quality!r}")


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """[control]: the local control API and what the switches do."""

    port: int = 8787
    privacy: str = "card"
    recordings: str = ""
    presets: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 1024 <= self.port <= 65535:
            raise PresetError(f"port must be 1024 to 65535, got {self.port}")
        if self.privacy not in PRIVACY_MODES:
            raise PresetError(f"privacy must be {' or '.join(PRIVACY_MODES)}, got "
                              f"{self.privacy!r}")

    @property
    def recordings_dir(self) -> Path:
        return Path(self.recordings).expanduser() if self.recordings else (
            Path.home() / "Videos" / "livecam")


@dataclass(frozen=True, slots=True)
class HotkeySettings:
    """[hotkeys]: action → key combination ("ctrl+alt+e"); "" leaves an action unbound."""

    toggle_effect: str = ""
    next_preset: str = ""
    previous_preset: str = ""
    preset_1: str = ""
    preset_2: str = ""
    preset_3: str = ""
    preset_4: str = ""
    preset_5: str = ""
    preset_6: str = ""
    preset_7: str = ""
    preset_8: str = ""
    preset_9: str = ""
    next_face: str = ""
    privacy: str = ""
    record: str = ""

    def bindings(self) -> dict[Action, str]:
        """Action → combination, bound actions only."""
        return {Action(f.name): getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name)}


# one key per action: the table is read by the same loader as every other settings table
assert {f.name for f in fields(HotkeySettings)} == {a.value for a in Action}


@dataclass(frozen=True, slots=True)
class UserConfig:
    """The whole file."""

    control: ServerSettings = field(default_factory=ServerSettings)
    hotkeys: HotkeySettings = field(default_factory=HotkeySettings)
    path: str = ""
    run: RunDefaults = field(default_factory=RunDefaults)


def config_path() -> Path:
    return user_config_dir() / CONFIG_FILE


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from None


def load_config(path: Path | None = None) -> UserConfig:
    """Defaults overlaid with the user's file, when there is one."""
    data = _parse(resources.files("livecam.control").joinpath("defaults.toml")
                  .read_text(encoding="utf-8"), "defaults.toml")
    path = path or config_path()
    where = "(defaults)"
    if path.is_file():
        where = str(path)
        try:
            text = read_text(path, "settings file")
        except PresetError as exc:
            raise ConfigError(str(exc)) from None
        user = _parse(text, where)
        for section, table in user.items():
            if section not in data:
                raise ConfigError(f"{where}: unknown section [{section}] (allowed: "
                                  f"{', '.join(data)})")
            if not isinstance(table, dict):
                raise ConfigError(f"{where}: [{section}] must be a table")
            data[section].update(table)
    try:
        config = UserConfig(build_settings(ServerSettings, data["control"], f"{where} [control]"),
                            build_settings(HotkeySettings, data["hotkeys"], f"{where} [hotkeys]"),
                            where, build_settings(RunDefaults, data["run"], f"{where} [run]"))
    except PresetError as exc:
        raise ConfigError(str(exc)) from None
    try:   # a combination that cannot be bound is the file's error: say which file
        check_bindings(config.hotkeys.bindings())
    except ConfigError as exc:
        raise ConfigError(f"{where} [hotkeys]: {exc}") from None
    return config
