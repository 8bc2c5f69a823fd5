"""What the swap prepares once per view of an enrolled face, and which view a head wears."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from livecam.compositing.masks import Mask, skin_mask
from livecam.frame import FrameBGR, Points
from livecam.swap.cover import hair_cover
from livecam.swap.faces_store import EnrolledFace, FaceView
from livecam.swap.interiors import iris_chroma
from livecam.swap.relight import Light, photo_light
from livecam.swap.shape import ShapeTransfer

VIEW_HYSTERESIS_DEG = 6.0   # another view must suit the head this much better to be worn


@dataclass(frozen=True, slots=True, eq=False)
class WornView:
    """One view and what the swap needs of it: its shape, skin, iris colour, light and the hair
    over it (None: none)."""

    view: FaceView
    shape: ShapeTransfer
    skin: npt.NDArray[np.bool_]
    iris: npt.NDArray[np.float32]
    light: Light
    cover: Mask | None
    _skins: dict[int, npt.NDArray[np.bool_]] = field(default_factory=dict)

    @classmethod
    def of(cls, view: FaceView, side: int) -> WornView:
        skin, cover = enrolled_skin(view.image, view.landmarks, side)
        return cls(view, ShapeTransfer(view.landmarks, side), skin,
                   iris_chroma(view.image, view.landmarks),
                   photo_light(view.image, view.landmarks), cover)

    def skin_at(self, side: int) -> npt.NDArray[np.bool_]:
        """The skin mask at a crop side the resolution controller chose."""
        if side not in self._skins:
            self._skins[side] = self.skin if side == self.skin.shape[0] else cv2.resize(
                self.skin.view(np.uint8), (side, side),
                interpolation=cv2.INTER_NEAREST).astype(bool)
        return self._skins[side]


def enrolled_skin(image: FrameBGR, landmarks: Points, side: int
                  ) -> tuple[npt.NDArray[np.bool_], Mask | None]:
    """Where an enrolled photo's skin colour is measured (at a crop of `side`), and the hair
    over it (`hair_cover`): a fringe's colour is not the face's."""
    skin = skin_mask(landmarks, side)
    cover = hair_cover(image, landmarks)
    if cover is not None:
        skin &= cv2.resize(cover, (side, side), interpolation=cv2.INTER_LINEAR) < 0.2
    return skin, cover


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
