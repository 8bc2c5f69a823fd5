"""Occluders in front of a swapped face: where the swap must leave the camera's own pixels.

A hand is drawn as its palm polygon and its finger bones at finger width, from its 21
landmarks, in the aligned crop's pixels. Only a hand that reaches out of the face is believed
(see `livecam.tracking.hands`).

Other objects (a microphone, a mug, a pen) have no detector here: the person segmentation
calls a microphone over the mouth part of the person. `object_mask` finds them by colour
instead: what lies over the face, is neither skin-coloured nor as bright as skin, and enters
from the face's edge (so eyes, nostrils and an open mouth, inside the face, never count). A
beard or a fringe of hair enters from the edge too and counts as well, which is why it is an
option and not the default.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from livecam.frame import FrameBGR, Points
from livecam.geometry.align import Affine
from livecam.compositing.masks import Mask, face_region, skin_mask
from livecam.tracking.hands import HandPoints

FINGERS = ((0, 1, 2, 3, 4), (0, 5, 6, 7, 8), (5, 9, 10, 11, 12), (9, 13, 14, 15, 16),
           (13, 17, 18, 19, 20), (0, 17))
PALM = (0, 1, 5, 9, 13, 17)
OUTSIDE_SHARE = 0.2    # of a hand's landmarks outside the face hull, for it to be believed
FINGER_WIDTH = 0.32    # finger thickness over the wrist–middle-knuckle length, with margin


def reaches_out_of(hand: HandPoints, face: Points) -> bool:
    """True when enough of the hand lies outside the face's convex hull."""
    hull = cv2.convexHull(face[:, :2].astype(np.float32))
    outside = sum(cv2.pointPolygonTest(hull, (float(x), float(y)), False) < 0 for x, y in hand)
    return outside >= OUTSIDE_SHARE * len(hand)


def hand_mask(hands: list[HandPoints], face: Points, to_crop: Affine, side: int) -> Mask:
    """Feathered mask of the believed hands over the aligned crop (1 where a hand is)."""
    mask = np.zeros((side, side), np.float32)
    for hand in hands:
        if not reaches_out_of(hand, face):
            continue
        pts = hand @ to_crop[:, :2].T.astype(np.float32) + to_crop[:, 2].astype(np.float32)
        width = FINGER_WIDTH * float(np.linalg.norm(pts[9] - pts[0]))
        fixed = np.round(pts * 4).astype(np.int32)   # 2 bits of sub-pixel precision
        cv2.fillPoly(mask, [fixed[list(PALM)]], 1.0, cv2.LINE_AA, shift=2)
        for chain in FINGERS:
            cv2.polylines(mask, [fixed[list(chain)]], False, 1.0,
                          max(1, round(width)), cv2.LINE_AA, shift=2)
    if not mask.any():
        return mask
    feather = max(side / 80, 1.0)
    grown = cv2.dilate(mask, np.ones((3, 3), np.uint8), iterations=max(1, round(feather)))
    return np.clip(cv2.GaussianBlur(grown, (0, 0), feather), 0.0, 1.0)


CHROMA_SIGMAS = 4.0    # skin chromaticity spread (robust sigmas) beyond which a pixel is not skin
DARK = 0.5             # of the skin's median brightness: darker and off-skin colour is not skin
DARK_SIGMAS = 1.0      # (shadowed skin keeps its chromaticity; a black or grey object does not)
MIN_AREA = 0.03        # of the face region, for an object to be believed


def object_mask(crop: FrameBGR, landmarks: Points,
                skin: npt.NDArray[np.bool_] | None = None) -> Mask:
    """Feathered mask of non-skin objects entering the face from its edge (1 where one is);
    `skin` is `skin_mask(landmarks, side)` when the caller has it already."""
    side = crop.shape[0]
    mask = np.zeros((side, side), np.float32)
    skin = skin_mask(landmarks, side) if skin is None else skin
    face = face_region(landmarks, side, scale=0.94)   # the swap region
    if skin.sum() < 50:
        return mask
    x, y, w, h = cv2.boundingRect(face.astype(np.uint8))   # work on the face's box only
    box = (slice(y, y + h), slice(x, x + w))
    face, skin = face[box], skin[box]
    rgb = crop[box].astype(np.float32) + 1.0
    luma = rgb.sum(axis=2)
    chroma = rgb[..., 1:] / luma[..., None]          # (g, r) chromaticity: light-independent
    sample = chroma[skin][::3]
    ref = np.median(sample, axis=0)
    spread = 1.4826 * np.median(np.abs(sample - ref), axis=0) + 0.004
    off = (np.abs(chroma - ref) / spread).max(axis=2)
    dark = luma < DARK * np.median(luma[skin][::3])
    candidate = (((off > CHROMA_SIGMAS) | (dark & (off > DARK_SIGMAS))) & face).astype(np.uint8)
    candidate = cv2.morphologyEx(candidate, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    inner = cv2.erode(face.astype(np.uint8), np.ones((5, 5), np.uint8),
                      borderType=cv2.BORDER_CONSTANT, borderValue=0)
    edge = face & ~inner.astype(bool)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(candidate, connectivity=8)
    touching = np.unique(labels[edge & (labels > 0)])
    big = touching[stats[touching, cv2.CC_STAT_AREA] >= MIN_AREA * face.sum()]
    if not len(big):
        return mask
    found = cv2.morphologyEx(np.isin(labels, big).astype(np.float32), cv2.MORPH_CLOSE,
                             np.ones((5, 5), np.uint8))
    mask[box] = found
    feather = max(side / 120, 1.0)   # grown first, so the feather falls on the skin side
    grown = cv2.dilate(mask, np.ones((3, 3), np.uint8), iterations=round(2 * feather))
    return np.clip(cv2.GaussianBlur(grown, (0, 0), feather), 0.0, 1.0)
