"""The enrolled face's features kept as they are through the fusion model.

The fusion model is trained to give back the target photo of a same-person pair; with the
target's light in its context and the target's eyes and mouth laid in, it also learns to move
the features toward the target's, which is identity going the wrong way. Its job is light and
seams, which are broad. So around the brows, eyes, nose and lips the model's output keeps only
its broad part and the worn face's own finer structure is put back.
"""

from __future__ import annotations

import cv2
import numpy as np

from livecam.compositing.masks import Mask
from livecam.frame import FrameBGR, Points
from livecam.tracking import mesh_regions as regions

FEATURE_SCALE = 1 / 32   # finer than this (crop sides) is feature, broader is light
FEATURES = (regions.RIGHT_BROW + regions.RIGHT_EYE_LOOP, regions.LEFT_BROW + regions.LEFT_EYE_LOOP,
            regions.NOSE, regions.LIPS)


def feature_region(landmarks: Points, side: int,
                   box: tuple[int, int, int, int] | None = None) -> Mask:
    """Brows with eyes, nose and lips (convex hulls), whole to their edges, feathered
    outward; over the crop, or over `box` (x0, y0, x1, y1) of it."""
    x0, y0, x1, y1 = box or (0, 0, side, side)
    region = np.zeros((y1 - y0, x1 - x0), np.float32)
    for points in FEATURES:
        hull = cv2.convexHull(np.round((landmarks[list(points), :2] - (x0, y0)) * 4)
                              .astype(np.int32))
        cv2.fillConvexPoly(region, hull, 1.0, cv2.LINE_AA, shift=2)
    return np.clip(cv2.GaussianBlur(region, (0, 0), _feather(side)) * 2.0, 0.0, 1.0)


def _feather(side: int) -> float:
    return max(side / 40, 1.0)


def keep_features(fused: FrameBGR, worn: FrameBGR, landmarks: Points, mask: Mask) -> FrameBGR:
    """`fused` with its fine structure replaced by `worn`'s around the features.

    Args:
        fused: The fusion model's output crop.
        worn: The dressed worn face the model was given (same crop).
        landmarks: The mesh the face is worn on (crop pixels).
        mask: The swap mask (nothing changes outside it).
    """
    side = fused.shape[0]
    sigma = max(side * FEATURE_SCALE, 0.5)
    # only around the features: past the feather and the blur's reach (OpenCV's float
    # Gaussian reaches 4 sigma) nothing changes, so nothing is computed there
    points = landmarks[sorted({i for part in FEATURES for i in part}), :2]
    pad = int(np.ceil(4 * _feather(side) + 4 * sigma)) + 2
    x0, y0 = (max(int(v) - pad, 0) for v in points.min(axis=0))
    x1, y1 = (min(int(v) + pad + 1, side) for v in points.max(axis=0))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return fused
    f = fused[y0:y1, x0:x1].astype(np.float32)
    apart = worn[y0:y1, x0:x1].astype(np.float32) - f
    fine = apart - cv2.GaussianBlur(apart, (0, 0), sigma)   # worn's fine part minus fused's
    weight = (feature_region(landmarks, side, (x0, y0, x1, y1)) * mask[y0:y1, x0:x1])[..., None]
    out = fused.copy()
    out[y0:y1, x0:x1] = np.clip(f + fine * weight + 0.5, 0, 255).astype(np.uint8)
    return out
