"""Occluders in front of a swapped face: where the swap must leave the camera's own pixels.

A hand is drawn as its palm polygon and its finger bones at finger width, from its 21
landmarks, in the aligned crop's pixels. Only a hand that reaches out of the face is believed
(see `livecam.tracking.hands`). A microphone is not handled: the person segmentation calls a
microphone over the mouth part of the person, so no mask here can find it.
"""

from __future__ import annotations

import cv2
import numpy as np

from livecam.frame import Points
from livecam.geometry.align import Affine
from livecam.swap.regions import Mask
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
