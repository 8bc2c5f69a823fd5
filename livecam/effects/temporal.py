"""Motion-gated temporal filtering of stylised face crops.

A stylizer makes hard decisions (an ink line or a cel band edge is there or not), so camera
noise on a still face makes them flicker: on a shared clip the anime face region changed 2.3×
as much from frame to frame as the camera's. Face crops are aligned, so the previous frame's
output lies where the current one does; where the camera image did not change, keep part of
it, and where it changed (a blink, a word, a turn) take the new output at once.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from livecam.frame import FrameBGR

CHANGE_SCALE = 12.0   # grey levels of input change at which the previous output is dropped


class FlickerFilter:
    """Per-face recursive filter; one instance per effect, faces keyed by tracking id."""

    def __init__(self, keep: float, change_scale: float = CHANGE_SCALE) -> None:
        self.keep = keep
        self.change_scale = change_scale
        self._last: dict[int, tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]] = {}

    def apply(self, face_id: int, crop: FrameBGR, output: FrameBGR) -> FrameBGR:
        """`output` for this frame, steadied by the face's previous one where `crop` held still."""
        if self.keep <= 0.0:
            return output
        grey = cv2.GaussianBlur(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY).astype(np.float32),
                                (0, 0), 1.5)
        new = output.astype(np.float32)
        last = self._last.get(face_id)
        if last is None or last[0].shape != grey.shape:
            self._last[face_id] = (grey, new)
            return output
        change = cv2.GaussianBlur(np.abs(grey - last[0]), (0, 0), 2.0)
        weight = (self.keep * np.clip(1.0 - change / self.change_scale, 0.0, 1.0))[..., None]
        steady = new + (last[1] - new) * weight
        self._last[face_id] = (grey, steady)
        return np.clip(steady + 0.5, 0, 255).astype(np.uint8)

    def forget(self, keep_ids: set[int]) -> None:
        """Drop faces no longer in view."""
        for face_id in set(self._last) - keep_ids:
            del self._last[face_id]
