"""Ink lines in the hair, drawn on the network's output before it is carried to full size.

What makes a face read as drawn rather than photographed is line art, most of all in the hair
and along the head's outline; inside the face, lines cost the person their likeness. So the
dark side of every clear edge (a difference of Gaussians) is inked outside the face oval grown
a little, which still takes in the jaw line and the hairline: the outline a drawn face has
(drawn closer in, the jaw's line moves with the head and the face flickers more). It is found
on the network's output at the network's side, where it is cheap, and guided upsampling
carries it to the finished face with the rest of the network's look.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from livecam.compositing.masks import oval_mask
from livecam.frame import FrameBGR, Points

Float = npt.NDArray[np.float32]
SIGMA = 2.0 / 256      # the narrower Gaussian's width, a share of the crop's side
RATIO = 1.6            # the wider Gaussian's width over the narrower's
THRESHOLD = 0.012      # darker than the surroundings by this (0–1 grey) starts a line ...
FACE_GROW = 1.05       # ... outside the face oval grown by this about its centre
FEATHER = 0.02         # the oval's soft edge, a share of the side
MASK_SIDE = 96         # the oval is smooth: drawn at this side and scaled up


def hair_ink(styled: FrameBGR, outside: Float, amount: float) -> FrameBGR:
    """`styled` (a face crop) with its hair's edges inked where `outside` (`outside_face` of
    its mesh) allows; `amount` 0–1 is how dark a full-strength line is."""
    if amount <= 0.0:
        return styled
    side = styled.shape[0]
    grey = cv2.cvtColor(styled, cv2.COLOR_BGR2GRAY).astype(np.float32)
    s = SIGMA * side
    narrow = cv2.GaussianBlur(grey, (0, 0), s)
    wide = cv2.GaussianBlur(grey, (0, 0), RATIO * s)
    # (wide − narrow − threshold) scaled so that twice the threshold is a full line
    k = amount / (THRESHOLD * 255.0)
    line = cv2.addWeighted(wide, k, narrow, -k, -amount)
    cv2.threshold(line, amount, amount, cv2.THRESH_TRUNC, dst=line)
    cv2.threshold(line, 0.0, 0.0, cv2.THRESH_TOZERO, dst=line)
    keep = cv2.subtract(1.0, cv2.multiply(line, outside))
    return cv2.multiply(styled, cv2.merge([keep] * 3), dtype=cv2.CV_8U)


def outside_face(landmarks: Points, side: int) -> Float:
    """1 outside the grown, feathered face oval of a `side` crop (drawn small, scaled up)."""
    small = (landmarks[:, :2] + 0.5) * (MASK_SIDE / side) - 0.5
    outside = 1.0 - oval_mask(small, MASK_SIDE, FACE_GROW, FEATHER * MASK_SIDE)
    return cv2.resize(outside, (side, side), interpolation=cv2.INTER_LINEAR)
