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
    src_lab = cv2.cvtColor(source, cv2.COLOR_BGR2LAB)
    s_mean, s_std = (v.ravel() for v in cv2.meanStdDev(src_lab, mask=source_skin.view(np.uint8)))
    t_mean, t_std = (v.ravel() for v in cv2.meanStdDev(cv2.cvtColor(target, cv2.COLOR_BGR2LAB),
                                                        mask=target_skin.view(np.uint8)))
    gain = (t_std + 1e-3) / (s_std + 1e-3)
    gain[0] = float(np.sqrt(gain[0]))             # lightness: half the contrast change
    gain = np.clip(gain, 0.5, 2.0)
    # one saturating per-channel affine in C: out = gain * src + (t_mean - gain * s_mean)
    matrix = np.hstack([np.diag(gain), (t_mean - gain * s_mean)[:, None]])
    return cv2.cvtColor(cv2.transform(src_lab, matrix), cv2.COLOR_LAB2BGR)
