"""How open the eyes and the mouth are, read off the mesh (enrolment, the swap's masks)."""

from __future__ import annotations

import numpy as np

from livecam.frame import Points

MOUTH_OPEN = 0.08                # inner-lip gap / mouth width above which the mouth is open
EYES_SHUT = 0.12                 # lid gap / eye width below which an eye is shut


def _ratio(pts: Points, top: int, bottom: int, left: int, right: int) -> float:
    gap = float(np.linalg.norm(pts[top, :2] - pts[bottom, :2]))
    width = float(np.linalg.norm(pts[left, :2] - pts[right, :2]))
    return gap / max(width, 1e-6)


def mouth_open_ratio(landmarks: Points) -> float:
    """Inner-lip gap over mouth width (0 closed, about 0.5 wide open)."""
    return _ratio(landmarks, 13, 14, 78, 308)


def eye_ratios(landmarks: Points) -> tuple[float, float]:
    """Each eye's lid gap over its width, right then left (about 0.3 open, under 0.12 shut)."""
    return _ratio(landmarks, 159, 145, 33, 133), _ratio(landmarks, 386, 374, 362, 263)


def eyes_open_ratio(landmarks: Points) -> float:
    """The smaller of the two eyes' lid gap over eye width."""
    return min(eye_ratios(landmarks))
