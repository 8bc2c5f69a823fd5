"""Global hotkeys: parsing and checking the combinations, and listening for them with pynput.

Combinations are written "ctrl+alt+e": modifiers (ctrl, alt, shift, super) and one key (a
letter, a digit, f1-f20 or a named key such as page_down). They are checked before anything
listens: unknown keys, one combination bound twice, and combinations the desktop already uses
are reported at start. Wayland does not let an application hear keys pressed in other windows,
so there the preview window's single-letter keys and the control panel are the way.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable, Mapping

from livecam.control.actions import Action
from livecam.errors import ConfigError, ControlError

log = logging.getLogger("livecam.hotkeys")

MODIFIERS = {"ctrl": "ctrl", "control": "ctrl", "alt": "alt", "option": "alt",
             "shift": "shift", "super": "cmd", "win": "cmd", "cmd": "cmd", "meta": "cmd"}
MODIFIER_ORDER = ("ctrl", "alt", "shift", "cmd")
NAMED_KEYS = frozenset({
    "backspace", "caps_lock", "delete", "down", "end", "enter", "esc", "home", "insert",
    "left", "menu", "num_lock", "page_down", "page_up", "pause", "print_screen", "right",
    "scroll_lock", "space", "tab", "up", "media_play_pause", "media_next", "media_previous",
    "media_volume_up", "media_volume_down", "media_volume_mute",
    *(f"f{i}" for i in range(1, 21))})
ALIASES = {"pgdn": "page_down", "pagedown": "page_down", "pgup": "page_up",
           "pageup": "page_up", "return": "enter", "escape": "esc", "del": "delete"}
# combinations desktops and OBS already own: binding them would steal or lose the key
RESERVED = {
    "alt+tab": "every desktop: switch windows",
    "alt+f4": "every desktop: close window",
    "ctrl+alt+delete": "the operating system",
    "ctrl+alt+t": "Ubuntu/GNOME: open a terminal",
    "ctrl+alt+l": "KDE/Ubuntu: lock the screen",
    "ctrl+alt+d": "GNOME/KDE: show the desktop",
    "ctrl+alt+left": "GNOME/KDE: switch workspace",
    "ctrl+alt+right": "GNOME/KDE: switch workspace",
    "ctrl+alt+up": "GNOME/KDE: switch workspace",
    "ctrl+alt+down": "GNOME/KDE: switch workspace",
    "cmd+l": "Windows/GNOME: lock the screen",
    "cmd+d": "Windows: show the desktop",
}
# the preview window's keys, for Wayland and wherever global hooks are not allowed
WINDOW_KEYS: dict[str, Action] = {
    "e": Action.TOGGLE_EFFECT, "n": Action.NEXT_PRESET, "p": Action.PREVIOUS_PRESET,
    "f": Action.NEXT_FACE, "h": Action.PRIVACY, "r": Action.RECORD,
    **{str(i): Action(f"preset_{i}") for i in range(1, 10)}}


@dataclass(frozen=True, slots=True)
class Combo:
    """A parsed combination."""

    modifiers: tuple[str, ...]   # canonical names in MODIFIER_ORDER
    key: str

    @property
    def text(self) -> str:
        """Canonical text, for comparing and for display."""
        return "+".join((*self.modifiers, self.key))

    @property
    def pynput(self) -> str:
        """pynput's GlobalHotKeys notation: <ctrl>+<alt>+e."""
        parts = [f"<{m}>" for m in self.modifiers]
        parts.append(self.key if len(self.key) == 1 else f"<{self.key}>")
        return "+".join(parts)


def parse_combo(text: str, action: str = "") -> Combo:
    """Parse "ctrl+alt+e"; a ConfigError names the action, the text and what is allowed."""
    where = f"hotkey {action} = {text!r}" if action else f"hotkey {text!r}"
    parts = [p.strip().lower() for p in text.split("+")]
    if not parts or any(not p for p in parts):
        raise ConfigError(f"{where}: write it like \"ctrl+alt+e\"")
    *mods, key = parts
    modifiers = []
    for mod in mods:
        if mod not in MODIFIERS:
            raise ConfigError(f"{where}: '{mod}' is not a modifier (use ctrl, alt, shift or "
                              "super)")
        modifiers.append(MODIFIERS[mod])
    key = ALIASES.get(key, key)
    if key in MODIFIERS:
        raise ConfigError(f"{where}: ends in a modifier; add the key to press with it")
    if not (len(key) == 1 and key.isprintable()) and key not in NAMED_KEYS:
        named = sorted(k for k in NAMED_KEYS if not k[1:].isdigit())
        raise ConfigError(f"{where}: unknown key '{key}' (use a letter, a digit, f1-f20 or "
                          f"one of {', '.join(named)})")
    if len(set(modifiers)) != len(modifiers):
        raise ConfigError(f"{where}: a modifier is repeated")
    if not modifiers and len(key) == 1:
        raise ConfigError(f"{where}: a single letter or digit would fire while typing in chat; "
                          "add ctrl, alt or super")
    return Combo(tuple(sorted(modifiers, key=MODIFIER_ORDER.index)), key)


def check_bindings(bindings: Mapping[Action, str]) -> tuple[dict[Action, Combo], list[str]]:
    """Parse every binding; returns the combos to listen for and the conflicts to report.

    A combination bound to two actions keeps the first and reports the second; one the
    desktop already uses is kept (the user may have freed it) but reported.
    """
    combos: dict[Action, Combo] = {}
    owner: dict[str, Action] = {}
    conflicts: list[str] = []
    for action, text in bindings.items():
        combo = parse_combo(text, action.value)
        if combo.text in owner:
            conflicts.append(f"{combo.text} is bound to both {owner[combo.text].value} and "
                             f"{action.value}; {action.value} is left unbound")
            continue
        if combo.text in RESERVED:
            conflicts.append(f"{combo.text} ({action.value}) is also {RESERVED[combo.text]}")
        owner[combo.text] = action
        combos[action] = combo
    return combos, conflicts


def global_hotkeys_unavailable() -> str | None:
    """Why global hooks cannot work in this session, or None when they can."""
    if sys.platform.startswith("linux"):
        if os.environ.get("XDG_SESSION_TYPE") == "wayland" or (
                os.environ.get("WAYLAND_DISPLAY") and not os.environ.get("DISPLAY")):
            return ("this is a Wayland session, which does not let applications hear keys "
                    "pressed in other windows")
        if not os.environ.get("DISPLAY"):
            return "no X display (DISPLAY is not set)"
    return None


class GlobalHotkeys:
    """Listens for the bound combinations on pynput's thread and calls `on_action(action)`.

    Raises:
        ControlError: when global hooks are unavailable here, saying why and what to use.
    """

    def __init__(self, combos: Mapping[Action, Combo], on_action: Callable[[Action], Any]) -> None:
        why = global_hotkeys_unavailable()
        fallback = ("use the preview window's keys (--sink window; 'livecam hotkeys' lists "
                    "them) or the control panel")
        if why:
            raise ControlError(f"global hotkeys are off: {why}; {fallback}")
        try:
            from pynput import keyboard  # noqa: PLC0415 - needs a display at import
        except ImportError as exc:
            raise ControlError(f"global hotkeys are off: pynput cannot hook the keyboard "
                               f"({str(exc).splitlines()[0]}); {fallback}") from exc
        mapping = {combo.pynput: _caller(on_action, action) for action, combo in combos.items()}
        self._listener = keyboard.GlobalHotKeys(mapping)
        self._listener.daemon = True
        self._listener.start()
        self._listener.wait()

    def close(self) -> None:
        """Stop listening. On X11, pynput's thread only ends at the next key event
        (moses-palmer/pynput#583); it is a daemon and calls nothing after `stop`."""
        self._listener.stop()
        self._listener.join(timeout=0.5)

    @property
    def listening(self) -> bool:
        return bool(self._listener.is_alive())


def _caller(on_action: Callable[[Action], Any], action: Action) -> Callable[[], None]:
    def call() -> None:
        try:
            on_action(action)
        except Exception:  # noqa: BLE001 - a failing action must not kill the key listener
            log.exception("hotkey %s failed", action)
    return call
