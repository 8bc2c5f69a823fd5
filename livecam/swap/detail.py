"""Fine detail laid back over the fusion model's output, up to the camera's own sharpness.

The small fusion model returns a face softer than a photo: it learns light and colour well,
high frequencies poorly. The enrolled face, warped, still has its skin texture, lashes and
hair strands; its high-pass, added inside the swap mask, restores them. How much is added is
chosen per frame so the face's gradient energy matches the camera's around it: a face sharper
or softer than the picture it sits in is what gives a paste away (benchmarks/README.md has the
measurements).
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from livecam.frame import FrameBGR
from livecam.compositing.masks import Mask

MAX_GAIN = 2.5   # the most enrolled-face detail laid on, in multiples of its own


def gradient_energy(image: FrameBGR, where: npt.NDArray[np.bool_]) -> float:
    """Mean Sobel gradient magnitude of the grey image over `where`."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1)
    return float(cv2.magnitude(gx, gy)[where].mean()) if where.any() else 0.0


def high_pass(source: FrameBGR) -> npt.NDArray[np.int16]:
    return source.astype(np.int16) - cv2.GaussianBlur(source, (0, 0),
                                                      max(source.shape[0] / 170, 0.5))


def add_detail(fused: FrameBGR, high: npt.NDArray[np.int16], mask: Mask, amount: float
               ) -> FrameBGR:
    """`fused` plus `amount` × `high` where `mask` is set (16-bit integers, 7 fractional
    bits: |high| ≤ 255 times a weight ≤ 2.5 × 128 stays within int16 after the shift)."""
    if amount <= 0.0:
        return fused
    weight = (mask * (amount * 128.0)).astype(np.int32)[..., None]
    out = fused.astype(np.int32) + ((high.astype(np.int32) * weight + 64) >> 7)
    return np.clip(out, 0, 255).astype(np.uint8)


def restore_detail(fused: FrameBGR, source: FrameBGR, mask: Mask, amount: float,
                   camera: FrameBGR | None = None,
                   face: npt.NDArray[np.bool_] | None = None) -> FrameBGR:
    """`fused` with the high-pass of `source` laid on where `mask` is set.

    Args:
        fused: The fusion model's (or the paste's) face.
        source: The warped enrolled face.
        mask: The swap mask.
        amount: 0–1: how far toward the camera's sharpness (with no camera: the fixed share
            of the enrolled face's detail).
        camera: The camera's crop; its gradient energy over `face` is the sharpness aimed at.
        face: Where sharpness is compared (the face's skin, away from the mask's edge).
    """
    if amount <= 0.0:
        return fused
    high = high_pass(source)
    if camera is None or face is None or not face.any():
        return add_detail(fused, high, mask, amount)
    aim = gradient_energy(camera, face)
    soft = gradient_energy(fused, face)
    full = gradient_energy(add_detail(fused, high, mask, 1.0), face)
    if full <= soft + 1e-3:   # nothing to add (a flat source)
        return fused
    gain = float(np.clip((aim - soft) / (full - soft), 0.0, MAX_GAIN))
    return add_detail(fused, high, mask, gain * amount)
