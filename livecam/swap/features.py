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


def feature_region(landmarks: Points, side: int) -> Mask:
    """Brows with eyes, nose and lips (convex hulls), whole to their edges, feathered
    outward."""
    region = np.zeros((side, side), np.float32)
    for points in FEATURES:
        hull = cv2.convexHull(np.round(landmarks[list(points), :2] * 4).astype(np.int32))
        cv2.fillConvexPoly(region, hull, 1.0, cv2.LINE_AA, shift=2)
    return np.clip(cv2.GaussianBlur(region, (0, 0), max(side / 40, 1.0)) * 2.0, 0.0, 1.0)


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
    f, w = fused.astype(np.float32), worn.astype(np.float32)
    fine = (w - cv2.GaussianBlur(w, (0, 0), sigma)) - (f - cv2.GaussianBlur(f, (0, 0), sigma))
    weight = (feature_region(landmarks, side) * mask)[..., None]
    return np.clip(f + fine * weight + 0.5, 0, 255).astype(np.uint8)
