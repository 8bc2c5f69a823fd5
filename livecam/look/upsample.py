"""A low-resolution stylisation applied at full resolution (guided upsampling).

The network sees the face at 128–256 px; the face covers 300–500 px of a 720p frame. Scaling
the network's output up would blur it. Instead, a local affine colour model (output ≈ a ×
input brightness + b, per channel, fitted over small windows of the low-resolution pair, as in
He and Sun's fast guided filter) is upsampled and applied to the full-resolution crop: edges
come from the camera at its own resolution, colour and tone from the network, and where the
network smoothed the skin the fitted gain is low, so pores stay smoothed.
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
    target = low_out.astype(np.float32) * (1.0 / 255.0)
    mean_i = _box(guide, radius)
    mean_p = _box(target, radius)
    corr = _box(target * guide[..., None], radius)
    var = _box(guide * guide, radius) - mean_i * mean_i
    a = (corr - mean_p * mean_i[..., None]) / (var + eps)[..., None]
    b = mean_p - a * mean_i[..., None]
    size = (high_in.shape[1], high_in.shape[0])
    a_hi = cv2.resize(_box(a, radius), size, interpolation=cv2.INTER_LINEAR)
    b_hi = cv2.resize(_box(b, radius), size, interpolation=cv2.INTER_LINEAR)
    out = a_hi * _grey(high_in)[..., None] + b_hi
    return np.clip(out * 255.0 + 0.5, 0, 255).astype(np.uint8)
