"""Person segmentation (MediaPipe selfie segmentation): where the person, hair included, ends.

The stylizer's paste mask follows it, so a stylised face crop is pasted up to the hair's
edge and not onto the background beside the head.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from livecam.frame import FrameBGR
from livecam.tracking.mediapipe_mesh import _import_mediapipe

SEGMENT_WIDTH = 256   # the landscape model's input width: finer costs time, not edge quality


def shrunk(image: FrameBGR) -> tuple[FrameBGR, float]:
    """The frame at SEGMENT_WIDTH wide (area-averaged: no aliasing), and the scale."""
    h, w = image.shape[:2]
    scale = SEGMENT_WIDTH / w
    small = cv2.resize(image, (SEGMENT_WIDTH, max(1, round(h * scale))),
                       interpolation=cv2.INTER_AREA)
    return small, scale


class PersonSegmenter:
    """Person probability for whole frames at low resolution. Not thread-safe: one caller."""

    def __init__(self) -> None:
        mp = _import_mediapipe()
        self._model: Any = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=1)

    def person(self, small: FrameBGR, scale: float) -> tuple[npt.NDArray[np.float32], float]:
        """The probability map of a frame shrunk by `shrunk` (its callers reuse that copy),
        and the scale from frame to map."""
        result = self._model.process(cv2.cvtColor(small, cv2.COLOR_BGR2RGB))
        return np.asarray(result.segmentation_mask, np.float32), scale

    def close(self) -> None:
        self._model.close()
