"""Which effects exist, the settings each one reads from a preset, and how each is built."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args
from collections.abc import Callable

from livecam.effects.face_swap import FaceSwapEffect, FaceSwapSettings
from livecam.effects.landmarks import LandmarksEffect, LandmarksSettings
from livecam.effects.passthrough import Passthrough
from livecam.effects.protocol import Effect
from livecam.effects.stylize import StylizeEffect, StylizeSettings

EffectKind = Literal["passthrough", "landmarks", "stylize", "face_swap"]
EFFECT_KINDS: tuple[str, ...] = get_args(EffectKind)


@dataclass(frozen=True, slots=True)
class NoSettings:
    """For effects that take no options."""


@dataclass(frozen=True, slots=True)
class EffectEntry:
    settings: type[Any]
    build: Callable[[Any, float], Effect]   # (settings, target fps)


EFFECTS: dict[str, EffectEntry] = {
    "passthrough": EffectEntry(NoSettings, lambda _settings, _fps: Passthrough()),
    "landmarks": EffectEntry(LandmarksSettings, lambda settings, _fps: LandmarksEffect(settings)),
    "stylize": EffectEntry(StylizeSettings, StylizeEffect),
    "face_swap": EffectEntry(FaceSwapSettings, FaceSwapEffect),
}
assert set(EFFECTS) == set(EFFECT_KINDS)


def build_effect(kind: str, settings: Any, target_fps: float = 30.0) -> Effect:
    """A ready-to-run effect of `kind`; any model is chosen for `target_fps`, loaded and
    warmed here, not in `apply`."""
    return EFFECTS[kind].build(settings, target_fps)
