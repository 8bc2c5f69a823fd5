"""Dark blots on a soft background painted over.

Anime inks its characters and paints its backgrounds. The anime network learnt its ink on
face crops, and on a blurred room (a webcam's shallow focus, a virtual blur, the demo's
backdrop) it inks soft shapes into dark blots. A blot is where the network's pass is far
darker, over more than a stroke's width, than the camera's frame painted (lifted to a high
key and coloured more, as the anime reference renderer grades a background) although the
camera shows no crisp edge there and no person: there the painting is taken. Ink along crisp
edges, the person and its outline, and every region the network did not darken keep the
network's pass.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np
import numpy.typing as npt

from livecam.frame import FrameBGR

Float = npt.NDArray[np.float32]

REFERENCE_WIDTH = 320   # the pass's width the pixel sizes below are given for: they scale
#                         with it, as the resolution controller moves it (128–1024)
KEY = 0.55           # lift toward white, as the anime renderer's background
SATURATION = 2.0     # chroma gain, as the renderer's background
CRISP = (50.0, 100.0)   # local edge energy (Sobel magnitude, grey levels, averaged over
#                         CRISP_SIGMA) from which the camera shows an edge … for certain
CRISP_SIGMA = 4.0    # pixels
BLOT = (40.0, 80.0)  # luma the pass is darker than the painting (grey levels) from which it
#                      may be a blot … is one
SHRINK = 4           # the person map is grown at this fraction of the pass's size
STROKE = 7           # pixels: a dark region no wider than this is an ink line
OUTLINE = 32         # pixels kept around the person: the network inks the
#                      person's outline on its outer side


@functools.cache
def _grade() -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    """Look-up tables for luma (the high-key lift) and chroma (the colour gain) in YCrCb."""
    levels = np.arange(256, dtype=np.float32) / 255.0
    luma = levels + (1.0 - levels) * KEY
    chroma = 0.5 + (levels - 0.5) * SATURATION
    return _bytes(luma), _bytes(chroma)


def _bytes(share: Float) -> npt.NDArray[np.uint8]:
    return np.clip(share * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _luma(image: FrameBGR) -> Float:
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)


def painting(small: FrameBGR) -> FrameBGR:
    """The camera's frame graded as a painted background: high key, strong colour, no ink
    (it is taken only where the camera is soft already, so it needs no flattening)."""
    luma, chroma = _grade()
    y, cr, cb = cv2.split(cv2.cvtColor(small, cv2.COLOR_BGR2YCrCb))
    graded = cv2.merge([cv2.LUT(y, luma), cv2.LUT(cr, chroma), cv2.LUT(cb, chroma)])
    return cv2.cvtColor(graded, cv2.COLOR_YCrCb2BGR)


def _scale(small: FrameBGR) -> float:
    """The pass's pixels per REFERENCE_WIDTH pixel."""
    return small.shape[1] / REFERENCE_WIDTH


def crispness(small: FrameBGR) -> Float:
    """0 where the camera's image is soft (blurred, flat), 1 where it shows an edge (judged
    alike at every width: a blur shrunk to fewer pixels has steeper gradients per pixel)."""
    k = _scale(small)
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    energy = cv2.magnitude(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))
    energy = cv2.GaussianBlur(energy, (0, 0), CRISP_SIGMA * k) * np.float32(k)
    lo, hi = CRISP
    return np.clip((energy - lo) / (hi - lo), 0.0, 1.0)


def _around(person: Float, k: float) -> Float:
    """The person grown by OUTLINE (× `k`) and feathered; worked out at a quarter of the
    size (the map is smooth, and a wide dilation costs its kernel's area per pixel)."""
    h, w = person.shape
    small = cv2.resize(person, (max(w // SHRINK, 1), max(h // SHRINK, 1)),
                       interpolation=cv2.INTER_AREA)
    reach = max(round(OUTLINE * k) // SHRINK, 1)
    grown = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1,) * 2))
    grown = cv2.GaussianBlur(grown, (0, 0), reach / 2)
    return cv2.resize(grown, (w, h), interpolation=cv2.INTER_LINEAR)


def painted_backdrop(small: FrameBGR, styled: FrameBGR, person: Float | None,
                     amount: float) -> FrameBGR:
    """`styled` (the network's pass over `small`) with its blots painted over; `person` is
    the person's probability at `small`'s size (None: unknown, the crisp test alone
    decides); `amount` 0–1 how much of the painting is taken over a blot."""
    if amount <= 0.0:
        return styled
    k = _scale(small)
    keep = crispness(small)
    if person is not None:
        keep = np.maximum(keep, _around(person, k))
    painted = painting(small)
    lo, hi = BLOT
    blot = np.clip((_luma(painted) - _luma(styled) - lo) / (hi - lo), 0.0, 1.0)
    # what a disc wider than a stroke fits inside is a blot; the lines stay
    stroke = max(round(STROKE * k) | 1, 3)
    blot = cv2.morphologyEx(blot, cv2.MORPH_OPEN,
                            cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (stroke, stroke)))
    weight = (1.0 - keep) * blot * np.float32(amount)
    return cv2.blendLinear(painted, styled, weight, 1.0 - weight)
