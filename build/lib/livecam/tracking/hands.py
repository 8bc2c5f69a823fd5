"""Hand landmarks (MediaPipe hands), so a hand raised in front of the face stays in front.

The palm detector also fires on faces now and then (at 480 px on every frame, on 7 % of the
frames of a shared clip with no hand in it, always inside the face): `livecam.swap.occluders`
only believes a hand that reaches out of the face, as a real one in front of it does.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from livecam.frame import FrameBGR
from livecam.tracking.mediapipe_mesh import _import_mediapipe

HAND_WIDTH = 320   # the palm detector sees 192²: a wider frame costs time, finds no more hands

HandPoints = npt.NDArray[np.float32]   # 21×2, frame pixels, MediaPipe's hand landmark order


class HandTracker:
    """Up to two hands per frame, tracked from frame to frame. Not thread-safe: one caller.

    While no hand is in view the palm detector (most of the cost) runs on one frame in
    `search_every`, so a raised hand is picked up within that many frames; once found, a hand
    is followed on every frame.
    """

    def __init__(self, width: int = HAND_WIDTH, search_every: int = 3) -> None:
        mp = _import_mediapipe()
        self.width = width
        self.search_every = search_every
        self._since_search = search_every
        self._last: list[HandPoints] = []
        self._model: Any = mp.solutions.hands.Hands(
            static_image_mode=False, max_num_hands=2, model_complexity=0,
            min_detection_confidence=0.6, min_tracking_confidence=0.5)

    def hands(self, image: FrameBGR) -> list[HandPoints]:
        if not self._last and self._since_search + 1 < self.search_every:
            self._since_search += 1
            return []
        self._since_search = 0
        self._last = self._find(image)
        return self._last

    def _find(self, image: FrameBGR) -> list[HandPoints]:
        h, w = image.shape[:2]
        scale = min(1.0, self.width / w)
        small = image if scale == 1.0 else cv2.resize(
            image, (self.width, max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
        result = self._model.process(cv2.cvtColor(small, cv2.COLOR_BGR2RGB))
        found = []
        for marks in result.multi_hand_landmarks or ():
            pts = np.array([(p.x * w, p.y * h) for p in marks.landmark], np.float32)
            found.append(pts)
        return found

    def close(self) -> None:
        self._model.close()
