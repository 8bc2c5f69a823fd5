"""Presets: TOML files naming an effect, its settings and how faces are tracked.

Built-in presets ship inside the package; a file of the same name in the user's preset folder
(`$LIVECAM_HOME/presets`, else `$XDG_CONFIG_HOME/livecam/presets`, else
`~/.config/livecam/presets`) overrides it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from livecam.config_tables import read_text, build_settings, did_you_mean
from livecam.effects.registry import EFFECT_KINDS, EFFECTS
from livecam.errors import PresetError
from livecam.paths import user_preset_dir
from livecam.tracking.settings import TrackingSettings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

_TOP_KEYS = ("description", "effect", "tracking")


@dataclass(frozen=True, slots=True)
class Preset:
    """A named look: the effect, its settings, and tracking settings.

    Attributes:
        name: The file name without `.toml`.
        description: One line shown by `livecam presets`.
        effect: One of the effect kinds in `livecam.effects.registry`.
        effect_settings: The effect's settings dataclass, from the table named like the effect.
        tracking: Face tracking settings from [tracking].
        path: Where the preset was read from.
    """

    name: str
    description: str
    effect: str
    effect_settings: Any
    tracking: TrackingSettings
    path: str


def _builtin_files() -> dict[str, Any]:
    folder = resources.files("livecam.presets")
    return {entry.name[:-5]: entry for entry in folder.iterdir() if entry.name.endswith(".toml")}


def available_presets(user_dir: Path | None = None) -> dict[str, str]:
    """Preset name → where it is read from, user presets taking precedence."""
    found = {name: str(entry) for name, entry in _builtin_files().items()}
    folder = user_dir if user_dir is not None else user_preset_dir()
    if folder.is_dir():
        # a folder or a broken link named *.toml is not a preset
        found.update({p.stem: str(p) for p in folder.glob("*.toml") if p.is_file()})
    return dict(sorted(found.items()))


def load_preset(name_or_path: str, user_dir: Path | None = None) -> Preset:
    """Load a preset by name, or from a `.toml` path.

    Raises:
        PresetError: for an unknown name (listing the known ones) or a malformed file (naming
            the file, the key and the allowed values).
    """
    if name_or_path.endswith(".toml"):
        path = Path(name_or_path)
        if not path.is_file():
            raise PresetError(f"preset file not found: {path}")
        return parse_preset(path.stem, read_text(path, "preset"), str(path))
    known = available_presets(user_dir)
    if name_or_path not in known:
        raise PresetError(f"unknown preset '{name_or_path}'{did_you_mean(name_or_path, known)}; "
                          f"known presets: {', '.join(known)}")
    where = known[name_or_path]
    user_file = Path(where)
    if user_file.is_file():
        text = read_text(user_file, "preset")
    else:
        text = _builtin_files()[name_or_path].read_text(encoding="utf-8")
    return parse_preset(name_or_path, text, where)


def parse_preset(name: str, text: str, where: str) -> Preset:
    """Validate preset TOML `text`; `where` names the file in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PresetError(f"{where}: not valid TOML: {exc}") from None
    effect = data.get("effect")
    if effect not in EFFECT_KINDS:
        raise PresetError(f"{where}: key 'effect' must be one of {', '.join(EFFECT_KINDS)}, "
                          f"got {effect!r}")
    allowed = set(_TOP_KEYS) | {effect}
    for key in data:
        if key not in allowed:
            raise PresetError(f"{where}: unknown key '{key}'{did_you_mean(key, allowed)} "
                              f"(allowed here: {', '.join(sorted(allowed))})")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise PresetError(f"{where}: key 'description' must be a string, got {description!r}")
    entry = EFFECTS[effect]
    return Preset(
        name=name,
        description=description,
        effect=effect,
        effect_settings=build_settings(entry.settings, data.get(effect, {}), f"{where} [{effect}]"),
        tracking=build_settings(TrackingSettings, data.get("tracking", {}), f"{where} [tracking]"),
        path=where,
    )
