"""Masks of a face crop's regions, read off its mesh: where a processed face is pasted (the
head for the looks, the swap region for face swap) and where its skin, eyes and mouth are.

The swap region is the face oval feathered inward, so no hairline or jaw edge is pasted; the
head mask is the oval grown to take in hair and ears.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from livecam.frame import Points
from livecam.tracking import mesh_regions as regions
from livecam.tracking.mesh_regions import INNER_LIPS, LEFT_EYE_LOOP, RIGHT_EYE_LOOP
from livecam.tracking.mesh_topology import FACE_OVAL
from livecam.tracking.openness import MOUTH_OPEN, mouth_open_ratio

Mask = npt.NDArray[np.float32]   # H×W in [0, 1]
HEAD_SCALE = 1.3   # head mask: the face oval grown about its centre to take in hair and ears
BORDER_FADE = 1 / 12   # ... faded to nothing over this share of the side at the crop's border


def head_mask(landmarks: Points, side: int) -> Mask:
    """Feathered float mask of the head (face oval grown by HEAD_SCALE) in crop pixels.

    A head low or wide in its crop (a long chin, a turned face) reaches past the crop's
    border; the mask fades out before it, or the border shows as a straight seam."""
    oval = landmarks[list(FACE_OVAL), :2]
    centre = oval.mean(axis=0)
    grown = centre + (oval - centre) * HEAD_SCALE
    mask = np.zeros((side, side), np.float32)
    cv2.fillPoly(mask, [np.round(grown).astype(np.int32)], 1.0, cv2.LINE_AA)
    mask = cv2.GaussianBlur(mask, (0, 0), side / 24)
    fade = np.minimum(np.arange(side, dtype=np.float32), np.arange(side, dtype=np.float32)[::-1])
    fade = np.clip(fade / (side * BORDER_FADE), 0.0, 1.0)
    return mask * fade[:, None] * fade[None, :]


def fill_region(mask: npt.NDArray[Any], landmarks: Points, points: tuple[int, ...],
                value: float, scale: float = 1.0, hull: bool = False) -> None:
    """Fill (anti-aliased, in place) the mesh `points` scaled about their centre: as a loop,
    or their convex hull (a brow's points are a band, not a loop)."""
    pts = landmarks[list(points), :2].astype(np.float64)
    centre = pts.mean(axis=0)
    quarter = np.round((centre + (pts - centre) * scale) * 4).astype(np.int32)
    if hull:
        cv2.fillConvexPoly(mask, cv2.convexHull(quarter), value, cv2.LINE_AA, shift=2)
    else:
        cv2.fillPoly(mask, [quarter], value, cv2.LINE_AA, shift=2)


def oval_mask(landmarks: Points, side: int, scale: float = 1.0, feather: float = 0.0) -> Mask:
    """The face oval (scaled about its centre) in crop pixels, anti-aliased, blurred by
    `feather` pixels."""
    mask = np.zeros((side, side), np.float32)
    fill_region(mask, landmarks, FACE_OVAL, 1.0, scale=scale)
    return cv2.GaussianBlur(mask, (0, 0), feather) if feather > 0 else mask


def swap_mask(landmarks: Points, side: int, keep_mouth: bool = True) -> Mask:
    """Feathered swap region in crop pixels: the oval shrunk a little, minus an open mouth."""
    mask = np.zeros((side, side), np.float32)
    fill_region(mask, landmarks, FACE_OVAL, 1.0, scale=0.94)
    feather = max(side / 40, 1.0)
    mask = np.clip(cv2.GaussianBlur(mask, (0, 0), feather) * 1.6 - 0.3, 0.0, 1.0)
    if keep_mouth and mouth_open_ratio(landmarks) > MOUTH_OPEN:
        # a sharp hole: the teeth and tongue are the streamer's, to the lips' inner edge
        hole = np.zeros((side, side), np.float32)
        fill_region(hole, landmarks, INNER_LIPS, 1.0, scale=1.05)
        mask *= 1.0 - cv2.GaussianBlur(hole, (0, 0), max(side / 200, 0.5))
    return mask   # feathered inside the oval's edge, not beyond it


def face_region(landmarks: Points, side: int, scale: float = 1.0) -> npt.NDArray[np.bool_]:
    """Inside the face oval (scaled about its centre)."""
    mask = np.zeros((side, side), np.uint8)
    fill_region(mask, landmarks, FACE_OVAL, 1, scale=scale)
    return mask.astype(bool)


def skin_mask(landmarks: Points, side: int) -> npt.NDArray[np.bool_]:
    """Cheeks, forehead and chin: the oval without eyes, brows and mouth, for colour and
    light statistics (a dark brow read as shadow would paint a second brow on a swap)."""
    mask = np.zeros((side, side), np.uint8)
    fill_region(mask, landmarks, FACE_OVAL, 1, scale=0.85)
    for loop, scale in ((RIGHT_EYE_LOOP, 1.8), (LEFT_EYE_LOOP, 1.8), (INNER_LIPS, 1.6)):
        fill_region(mask, landmarks, loop, 0, scale=scale)
    for brow in (regions.RIGHT_BROW, regions.LEFT_BROW):
        fill_region(mask, landmarks, brow, 0, scale=1.5, hull=True)
    return mask.astype(bool)


def _polygon_mask(shape: tuple[int, int], points: npt.NDArray[np.float32], feather: float
                  ) -> Mask:
    mask = np.zeros(shape, np.float32)
    hull = cv2.convexHull(np.round(points).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 1.0, cv2.LINE_AA)
    if feather > 0:
        mask = cv2.GaussianBlur(mask, (0, 0), feather)
    return mask


def face_masks(shape: tuple[int, int], landmarks: Points) -> tuple[Mask, Mask]:
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
