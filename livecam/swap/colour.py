"""Colour and light transfer: the source face takes the target's skin tone and brightness."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from livecam.frame import FrameBGR


def match_colour(source: FrameBGR, target: FrameBGR, source_skin: npt.NDArray[np.bool_],
                 target_skin: npt.NDArray[np.bool_]) -> FrameBGR:
    """`source` with the mean and spread of its skin in Lab moved to the target's skin.

    Lightness keeps part of its own contrast (the source's shading is detail, not light);
    chroma follows the target fully.
    """
    if source_skin.sum() < 32 or target_skin.sum() < 32:
        return source
    src = cv2.cvtColor(source, cv2.COLOR_BGR2LAB).astype(np.float32)
    tgt = cv2.cvtColor(target, cv2.COLOR_BGR2LAB).astype(np.float32)
    s_mean, s_std = src[source_skin].mean(0), src[source_skin].std(0) + 1e-3
    t_mean, t_std = tgt[target_skin].mean(0), tgt[target_skin].std(0) + 1e-3
    gain = t_std / s_std
    gain[0] = float(np.sqrt(gain[0]))             # lightness: half the contrast change
    gain = np.clip(gain, 0.5, 2.0)
    out = (src - s_mean) * gain + t_mean
    return cv2.cvtColor(np.clip(out, 0, 255).astype(np.uint8), cv2.COLOR_LAB2BGR)
