"""The swap region of a face crop and the measurements enrolment and the swap read off the mesh.

The region is the face oval, feathered inward so no hairline or jaw edge is pasted, with the
inner mouth cut out when the mouth is open: the target's own teeth and tongue stay, so speech
looks natural.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from livecam.frame import Points
from livecam.tracking.mesh_regions import INNER_LIPS, LEFT_EYE_LOOP, RIGHT_EYE_LOOP
from livecam.tracking.mesh_topology import FACE_OVAL

Mask = npt.NDArray[np.float32]   # H×W in [0, 1]


MOUTH_OPEN = 0.08                # inner-lip gap / mouth width above which the mouth is open


def _ratio(pts: Points, top: int, bottom: int, left: int, right: int) -> float:
    gap = float(np.linalg.norm(pts[top, :2] - pts[bottom, :2]))
    width = float(np.linalg.norm(pts[left, :2] - pts[right, :2]))
    return gap / max(width, 1e-6)


def mouth_open_ratio(landmarks: Points) -> float:
    """Inner-lip gap over mouth width (0 closed, about 0.5 wide open)."""
    return _ratio(landmarks, 13, 14, 78, 308)


def eyes_open_ratio(landmarks: Points) -> float:
    """The smaller of the two eyes' lid gap over eye width (about 0.3 open, under 0.12 shut)."""
    return min(_ratio(landmarks, 159, 145, 33, 133), _ratio(landmarks, 386, 374, 362, 263))


def _fill(mask: npt.NDArray[Any], landmarks: Points, loop: tuple[int, ...], value: float,
          scale: float = 1.0) -> None:
    pts = landmarks[list(loop), :2].astype(np.float64)
    centre = pts.mean(axis=0)
    pts = centre + (pts - centre) * scale
    cv2.fillPoly(mask, [np.round(pts * 4).astype(np.int32)], value, cv2.LINE_AA, shift=2)


def swap_mask(landmarks: Points, side: int, keep_mouth: bool = True) -> Mask:
    """Feathered swap region in crop pixels: the oval shrunk a little, minus an open mouth."""
    mask = np.zeros((side, side), np.float32)
    _fill(mask, landmarks, FACE_OVAL, 1.0, scale=0.94)
    feather = max(side / 40, 1.0)
    mask = np.clip(cv2.GaussianBlur(mask, (0, 0), feather) * 1.6 - 0.3, 0.0, 1.0)
    if keep_mouth and mouth_open_ratio(landmarks) > MOUTH_OPEN:
        # a sharp hole: the teeth and tongue are the streamer's, to the lips' inner edge
        hole = np.zeros((side, side), np.float32)
        _fill(hole, landmarks, INNER_LIPS, 1.0, scale=1.05)
        mask *= 1.0 - cv2.GaussianBlur(hole, (0, 0), max(side / 200, 0.5))
    return mask   # feathered inside the oval's edge, not beyond it


def face_region(landmarks: Points, side: int, scale: float = 1.0) -> npt.NDArray[np.bool_]:
    """Inside the face oval (scaled about its centre)."""
    mask = np.zeros((side, side), np.uint8)
    _fill(mask, landmarks, FACE_OVAL, 1, scale=scale)
    return mask.astype(bool)


def skin_mask(landmarks: Points, side: int) -> npt.NDArray[np.bool_]:
    """Cheeks, forehead and chin: the oval without eyes and mouth, for colour statistics."""
    mask = np.zeros((side, side), np.uint8)
    _fill(mask, landmarks, FACE_OVAL, 1, scale=0.85)
    for loop, scale in ((RIGHT_EYE_LOOP, 1.8), (LEFT_EYE_LOOP, 1.8), (INNER_LIPS, 1.6)):
        _fill(mask, landmarks, loop, 0, scale=scale)
    return mask.astype(bool)
