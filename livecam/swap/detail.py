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
# The crop is aimed this much sharper than the camera's crop: the paste resamples it into the
# frame, which softens it again (benchmarks/README.md, Face swap).
PASTE_LOSS = 1.05


def gradient_energy(image: FrameBGR, where: npt.NDArray[np.bool_]) -> float:
    """Mean Sobel gradient magnitude of the grey image over `where`."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1)
    return float(cv2.magnitude(gx, gy)[where].mean()) if where.any() else 0.0


def high_pass(source: FrameBGR) -> npt.NDArray[np.int16]:
    return source.astype(np.int16) - cv2.GaussianBlur(source, (0, 0),
                                                      max(source.shape[0] / 170, 0.5))


def _laid_on(fused: FrameBGR, layer: npt.NDArray[np.float32], gain: float) -> FrameBGR:
    """`fused` plus `gain` × the detail layer, rounded and kept within 0–255."""
    if gain <= 0.0:
        return fused
    return np.clip(fused + layer * np.float32(gain) + 0.5, 0, 255).astype(np.uint8)


def restore_detail(fused: FrameBGR, source: FrameBGR, mask: Mask, amount: float,
                   camera: FrameBGR | None = None,
                   face: npt.NDArray[np.bool_] | None = None) -> FrameBGR:
    """`fused` with the high-pass of `source` laid on where `mask` is set.

    Args:
        fused: The fusion model's (or the paste's) face.
        source: The warped enrolled face.
        mask: The swap mask.
        amount: 0–1: the share of the gain that matches the camera's sharpness (with no
            camera: the share of the enrolled face's own detail).
        camera: The camera's crop; its gradient energy over `face` (with the paste's loss
            made up) is the sharpness aimed at.
        face: Where sharpness is compared.
    """
    if amount <= 0.0:
        return fused
    layer = high_pass(source).astype(np.float32) * mask[..., None]   # made once, scaled twice
    if camera is None or face is None or not face.any():
        return _laid_on(fused, layer, amount)
    aim = gradient_energy(camera, face) * PASTE_LOSS
    soft = gradient_energy(fused, face)
    full = gradient_energy(_laid_on(fused, layer, 1.0), face)
    if full <= soft + 1e-3:   # nothing to add (a flat source)
        return fused
    gain = float(np.clip((aim - soft) / (full - soft), 0.0, MAX_GAIN))
    return _laid_on(fused, layer, gain * amount)
