"""A low-resolution stylisation applied at full resolution (guided upsampling).

The network sees the face at 128–256 px; the face covers 300–500 px of a 720p frame. Scaling
the network's output up would blur it. Instead, a local affine colour model (output ≈ a ×
input brightness + b, per channel, fitted over small windows of the low-resolution pair, as in
He and Sun's fast guided filter) is upsampled and applied to the full-resolution crop: edges
come from the camera at its own resolution, colour and tone from the network, and where the
network smoothed the skin the fitted gain is low, so pores stay smoothed. The gain is fitted on
brightness only: edges are brightness, and one grey layer is cheap at full resolution.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from livecam.frame import FrameBGR

Float = npt.NDArray[np.float32]


def _box(image: Float, radius: int) -> Float:
    return cv2.boxFilter(image, -1, (2 * radius + 1, 2 * radius + 1),
                         borderType=cv2.BORDER_REFLECT)


def _grey(image: FrameBGR) -> Float:
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32) * (1.0 / 255.0)


def guided_upsample(low_in: FrameBGR, low_out: FrameBGR, high_in: FrameBGR, radius: int = 2,
                    eps: float = 1e-4) -> FrameBGR:
    """`low_out` (the stylised `low_in`) carried over to `high_in`, the same crop at a higher
    resolution.

    With the fitted gain `a` and offset `b`, a × full-resolution brightness + b equals the
    upscaled output plus `a` × the detail the low resolution lost, which is how it is computed:
    one grey detail layer added to the upscaled output with saturating 8-bit arithmetic.

    Args:
        low_in: The network's input.
        low_out: The network's output, same size.
        high_in: The full-resolution crop that `low_in` was shrunk from.
        radius: Fitting window radius at low resolution, pixels.
        eps: Regulariser: larger keeps less of the camera's fine contrast.
    """
    if high_in.shape[:2] == low_in.shape[:2]:
        return low_out
    guide = _grey(low_in)
    target = _grey(low_out)
    mean_i = _box(guide, radius)
    cov = _box(target * guide, radius) - _box(target, radius) * mean_i
    var = _box(guide * guide, radius) - mean_i * mean_i
    gain_low = _box(cov / (var + eps), radius)
    size = (high_in.shape[1], high_in.shape[0])
    gain = cv2.resize(gain_low, size, interpolation=cv2.INTER_LINEAR)
    grey = cv2.cvtColor(high_in, cv2.COLOR_BGR2GRAY).astype(np.float32)
    grey -= cv2.resize(guide, size, interpolation=cv2.INTER_LINEAR) * 255.0
    grey *= gain
    up = cv2.resize(low_out, size, interpolation=cv2.INTER_LINEAR)
    lighter = cv2.merge([cv2.convertScaleAbs(np.maximum(grey, 0.0))] * 3)
    darker = cv2.merge([cv2.convertScaleAbs(np.minimum(grey, 0.0))] * 3)
    return cv2.subtract(cv2.add(up, lighter), darker)
