"""What the fusion model is shown, built the same way at training and at run time."""

from __future__ import annotations

import cv2
import numpy as np

from livecam.frame import FrameBGR
from livecam.compositing.masks import Mask


def target_context(target: FrameBGR, mask: Mask) -> FrameBGR:
    """The target crop with the swap region replaced by a heavy blur of itself: the light on
    the face without the face, so the model cannot copy the target's identity."""
    side = target.shape[0]
    small = cv2.resize(target, (8, 8), interpolation=cv2.INTER_AREA)   # light, not features
    blurred = cv2.resize(cv2.GaussianBlur(cv2.resize(small, (32, 32),
                                                     interpolation=cv2.INTER_LINEAR),
                                          (0, 0), 1.0),
                         (side, side), interpolation=cv2.INTER_LINEAR)
    inside = (mask > 0.01).astype(np.float32)
    k = max(3, side // 32 * 2 + 1)
    inside = cv2.blur(inside, (k, k))[..., None]
    out = target.astype(np.float32) * (1 - inside) + blurred.astype(np.float32) * inside
    return out.astype(np.uint8)


def plain_paste(target: FrameBGR, source: FrameBGR, mask: Mask) -> FrameBGR:
    """mask × source + (1 − mask) × target: what the fusion model starts from."""
    m = mask[..., None]
    return (source.astype(np.float32) * m + target.astype(np.float32) * (1 - m)).astype(np.uint8)
