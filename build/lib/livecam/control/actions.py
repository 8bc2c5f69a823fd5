"""The one vocabulary of things a streamer can do to a running stream: hotkeys, the preview
window's keys, the control API and timers all name these."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Protocol, runtime_checkable


class Action(str, Enum):
    """A named change to the running stream (its value is the `[hotkeys]` key)."""

    TOGGLE_EFFECT = "toggle_effect"
    NEXT_PRESET = "next_preset"
    PREVIOUS_PRESET = "previous_preset"
    PRESET_1 = "preset_1"
    PRESET_2 = "preset_2"
    PRESET_3 = "preset_3"
    PRESET_4 = "preset_4"
    PRESET_5 = "preset_5"
    PRESET_6 = "preset_6"
    PRESET_7 = "preset_7"
    PRESET_8 = "preset_8"
    PRESET_9 = "preset_9"
    NEXT_FACE = "next_face"
    PRIVACY = "privacy"
    RECORD = "record"

    @property
    def preset_number(self) -> int | None:
        """1–9 for the numbered preset actions, else None."""
        return int(self.value[7:]) if self.value.startswith("preset_") else None

    @property
    def help(self) -> str:
        """A few words for `livecam hotkeys` and the window's key list."""
        number = self.preset_number
        return f"preset {number}" if number else HELP[self]


HELP: dict[Action, str] = {
    Action.TOGGLE_EFFECT: "effect on/off",
    Action.NEXT_PRESET: "next preset",
    Action.PREVIOUS_PRESET: "previous preset",
    Action.NEXT_FACE: "next enrolled face",
    Action.PRIVACY: "privacy card on/off",
    Action.RECORD: "start/stop recording",
}


@runtime_checkable
class ActionInput(Protocol):
    """Something that produces actions of its own (the preview window's keys): the
    composition root connects it to the live control like the hotkeys and the API."""

    on_action: Callable[[Action], object] | None
    help_lines: list[str]
