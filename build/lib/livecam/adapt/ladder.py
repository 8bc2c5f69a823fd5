"""The resolutions the controller may choose from, bounded by the user's quality mode.

A level pairs the face-crop side with the width of the whole-frame background pass; both
rise together, so one index orders the ladder from cheapest to dearest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Quality = Literal["light", "balanced", "high"]
QUALITIES: tuple[str, ...] = get_args(Quality)
STEP_PX = 32   # the networks run at multiples of 32


@dataclass(frozen=True, slots=True)
class Bounds:
    """Smallest and largest face side and background width a quality mode allows."""

    face_min: int
    face_max: int
    background_min: int
    background_max: int

    def __post_init__(self) -> None:
        for value in (self.face_min, self.face_max, self.background_min, self.background_max):
            if value % STEP_PX or value < 128:
                raise ValueError(f"bounds must be multiples of {STEP_PX} from 128, got {value}")
        if self.face_min > self.face_max or self.background_min > self.background_max:
            raise ValueError(f"bounds out of order: {self}")


QUALITY_BOUNDS: dict[str, Bounds] = {
    "light": Bounds(128, 192, 128, 256),       # battery, weak laptops, games running beside
    "balanced": Bounds(128, 320, 128, 384),
    "high": Bounds(192, 512, 256, 640),        # desktops and GPUs: never below 192
}


@dataclass(frozen=True, slots=True)
class Level:
    """One rung: the face crop side and the background pass width, in pixels."""

    face_side: int
    background_width: int

    def cost(self, aspect: float = 9 / 16) -> float:
        """Pixels the network sees per frame (one face), the controller's cost model."""
        return float(self.face_side ** 2 + self.background_width ** 2 * aspect)


def build_ladder(bounds: Bounds) -> tuple[Level, ...]:
    """Face sides in steps of 32, each paired with a background width on the same fraction of
    its own range (rounded to 32)."""
    faces = list(range(bounds.face_min, bounds.face_max + 1, STEP_PX))
    span = bounds.background_max - bounds.background_min
    levels = []
    for i, face in enumerate(faces):
        share = i / (len(faces) - 1) if len(faces) > 1 else 1.0
        width = bounds.background_min + round(share * span / STEP_PX) * STEP_PX
        levels.append(Level(face, width))
    return tuple(levels)


def round_to_step(value: float) -> int:
    """`value` rounded to the nearest side the networks run at (a multiple of STEP_PX)."""
    return max(STEP_PX, int(round(value / STEP_PX)) * STEP_PX)


def nearest_level(ladder: tuple[Level, ...], face_side: int) -> int:
    """Index of the rung whose face side is closest to `face_side` (ties: the smaller)."""
    return min(range(len(ladder)), key=lambda i: (abs(ladder[i].face_side - face_side), i))
