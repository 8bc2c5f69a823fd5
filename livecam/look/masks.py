"""Soft masks of a face crop's regions, read off its mesh."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from livecam.frame import Points
from livecam.tracking import mesh_regions as regions
from livecam.tracking.mesh_topology import FACE_OVAL

Float = npt.NDArray[np.float32]


def _polygon_mask(shape: tuple[int, int], points: npt.NDArray[np.float32], feather: float
                  ) -> Float:
    mask = np.zeros(shape, np.float32)
    hull = cv2.convexHull(np.round(points).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 1.0, cv2.LINE_AA)
    if feather > 0:
        mask = cv2.GaussianBlur(mask, (0, 0), feather)
    return mask


def face_masks(shape: tuple[int, int], landmarks: Points) -> tuple[Float, Float]:
    """(face, skin): the face oval, and the oval without eyes, brows and lips; feathered."""
    side = max(shape)
    face = np.zeros(shape, np.float32)
    cv2.fillPoly(face, [np.round(landmarks[list(FACE_OVAL), :2]).astype(np.int32)], 1.0,
                 cv2.LINE_AA)
    face = cv2.GaussianBlur(face, (0, 0), side / 90)
    features = np.zeros(shape, np.float32)
    for group in (regions.RIGHT_EYE, regions.LEFT_EYE, regions.RIGHT_BROW, regions.LEFT_BROW,
                  regions.LIPS):
        features = np.maximum(features, _polygon_mask(shape, landmarks[list(group), :2],
                                                      side / 120))
    return face, face * (1.0 - features)
