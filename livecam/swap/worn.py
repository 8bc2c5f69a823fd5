"""What the swap prepares once per view of an enrolled face, and which view a head wears."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from livecam.compositing.masks import skin_mask
from livecam.swap.faces_store import EnrolledFace, FaceView
from livecam.swap.interiors import iris_chroma
from livecam.swap.relight import Light, photo_light
from livecam.swap.shape import ShapeTransfer

VIEW_HYSTERESIS_DEG = 6.0   # another view must suit the head this much better to be worn


@dataclass(frozen=True, slots=True, eq=False)
class WornView:
    """One view and what the swap needs of it: its shape, skin, iris colour and light."""

    view: FaceView
    shape: ShapeTransfer
    skin: npt.NDArray[np.bool_]
    iris: npt.NDArray[np.float32]
    light: Light
    _skins: dict[int, npt.NDArray[np.bool_]] = field(default_factory=dict)

    @classmethod
    def of(cls, view: FaceView, side: int) -> WornView:
        return cls(view, ShapeTransfer(view.landmarks, side), skin_mask(view.landmarks, side),
                   iris_chroma(view.image, view.landmarks),
                   photo_light(view.image, view.landmarks))

    def skin_at(self, side: int) -> npt.NDArray[np.bool_]:
        """The skin mask at a crop side the resolution controller chose."""
        if side not in self._skins:
            self._skins[side] = self.skin if side == self.skin.shape[0] else cv2.resize(
                self.skin.view(np.uint8), (side, side),
                interpolation=cv2.INTER_NEAREST).astype(bool)
        return self._skins[side]


def prepare(face: EnrolledFace, side: int) -> list[WornView]:
    return [WornView.of(view, side) for view in face.views]


def pick_view(views: Sequence[WornView], yaw_deg: float, current: int | None) -> int:
    """The view whose head turn is nearest the streamer's; the one worn now is kept unless
    another is nearer by VIEW_HYSTERESIS_DEG (no flapping between two at the midpoint)."""
    off = [abs(w.view.pose.yaw_deg - yaw_deg) for w in views]
    best = int(np.argmin(off))
    if current is not None and current < len(views) and \
            off[current] <= off[best] + VIEW_HYSTERESIS_DEG:
        return current
    return best
