"""Hair smoothed along its flow, its strands' edges crisp.

A drawn character's hair is locks of flat colour with crisp edges that follow the way the hair
falls. The style networks ink hair texture they cannot resolve into blots (short or curly
hair at the background pass's scale reads as a leopard print). Averaging the network's output
along the hair's own direction (the camera's structure tensor, at a lock's scale) draws each
blot out into a streak along the strands; an unsharp mask then gives the streaks crisp edges
again, so they read as locks rather than as a blur. Across the flow nothing is averaged, so the
hair's outline and the partings stay where they are.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from livecam.frame import FrameBGR
from livecam.geometry.mesh_raster import identity_field

Float = npt.NDArray[np.float32]

LOCK = 0.05       # the structure tensor's window, in face sizes (`Face.size_px`): a lock
REACH = 0.1       # how far along the flow is averaged each way, in face sizes
CASCADE = 3       # smoothing passes along the flow, each twice as wide as the last
SHARPEN = 1.0     # unsharp gain after the smoothing ...
SHARPEN_SIGMA = 1.5   # ... at this width in pixels (a 5-pixel kernel)


def flow_direction(guide: FrameBGR, lock: float) -> tuple[Float, Float]:
    """The unit direction (x, y) along which `guide` changes least, over `lock` pixels.

    The tensor is smooth at a lock's scale: it is built at half size (its three terms, unlike
    an angle, can be scaled up without a wrap-around)."""
    h, w = guide.shape[:2]
    half = cv2.resize(cv2.cvtColor(guide, cv2.COLOR_BGR2GRAY), (max(w // 2, 1), max(h // 2, 1)),
                      interpolation=cv2.INTER_AREA).astype(np.float32)
    gx = cv2.Sobel(half, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(half, cv2.CV_32F, 0, 1, ksize=3)
    s = max(lock / 2, 0.5)
    terms = cv2.GaussianBlur(cv2.merge([gx * gx, gy * gy, gx * gy]), (0, 0), s)
    jxx, jyy, jxy = cv2.split(cv2.resize(terms, (w, h), interpolation=cv2.INTER_LINEAR))
    # the tensor's major axis is across the strands; the flow is at right angles to it
    across = 0.5 * cv2.phase(jxx - jyy, 2.0 * jxy)
    return -np.sin(across), np.cos(across)


def along_flow(guide: FrameBGR, image: FrameBGR, face_size: float, amount: Float) -> FrameBGR:
    """`image` averaged along the flow of `guide` (the camera image it was painted from, same
    size) and sharpened; `face_size` in its pixels sets the scale; `amount` (0–1 per pixel)
    how much of that is taken."""
    smooth = _smoothed(guide, image, face_size)
    blurred = cv2.GaussianBlur(smooth, (5, 5), SHARPEN_SIGMA)
    crisp = cv2.addWeighted(smooth, 1.0 + SHARPEN, blurred, -SHARPEN, 0.0)
    return cv2.blendLinear(crisp, image, amount, 1.0 - amount)


def _smoothed(guide: FrameBGR, image: FrameBGR, face_size: float) -> FrameBGR:
    """`image` averaged along `guide`'s flow, REACH face sizes each way."""
    h, w = image.shape[:2]
    dx, dy = flow_direction(guide, LOCK * face_size)
    xs, ys = cv2.split(identity_field((h, w)))
    smooth = cv2.cvtColor(image, cv2.COLOR_BGR2BGRA)   # four channels: OpenCV's fast remap
    # a cascade of [1 2 1] / 4 taps along the flow, each twice as wide as the one before:
    # a smooth kernel REACH long from 2 × CASCADE samples
    step = REACH * face_size / (2 ** CASCADE - 1)
    for i in range(CASCADE):
        k = step * 2 ** i
        sides = [cv2.remap(smooth, *cv2.convertMaps(xs + dx * d, ys + dy * d, cv2.CV_16SC2),
                           cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
                 for d in (-k, k)]
        smooth = cv2.addWeighted(cv2.addWeighted(sides[0], 0.5, sides[1], 0.5, 0.0), 0.5,
                                 smooth, 0.5, 0.0)
    return cv2.cvtColor(smooth, cv2.COLOR_BGRA2BGR)
