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


LIGHT_SIGMA = 1 / 8       # the light's scale, in crop sides: shading, not features
LIGHT_WORK_SIDE = 64      # the light is smooth: it is measured on a small copy
LIGHT_GAIN = (0.7, 1.45)   # the most the light may darken or brighten a pixel


def match_light(source: FrameBGR, target: FrameBGR, skin: npt.NDArray[np.bool_],
                amount: float = 1.0) -> FrameBGR:
    """`source` relit with the target's light: multiplied by the ratio of the target's smooth
    skin brightness to the source's own, both taken over `skin` (the same face shape in both
    images), so the enrolled photo's light goes and the room's comes. Brightness only: the
    colour is `match_colour`'s, and a beard's tint is not light.

    Args:
        source: The enrolled face warped onto the target's shape (crop pixels).
        target: The target crop, its face in the same place.
        skin: Skin pixels shared by both (no eyes, brows, lips).
        amount: 0 keeps the source's light, 1 takes the target's fully.
    """
    if amount <= 0.0 or skin.sum() < 64:
        return source
    side = source.shape[0]
    small = (LIGHT_WORK_SIDE, LIGHT_WORK_SIDE)
    weight = cv2.resize(skin.view(np.uint8).astype(np.float32), small,
                        interpolation=cv2.INTER_AREA)
    sigma = LIGHT_SIGMA * LIGHT_WORK_SIDE
    src, tgt = (cv2.cvtColor(cv2.resize(im, small, interpolation=cv2.INTER_AREA),
                             cv2.COLOR_BGR2GRAY).astype(np.float32)[..., None] + 1.0
                for im in (source, target))
    # both blurred over the skin only (what lies outside, eyes, brows, lips, hair, does not
    # darken the light near it); far from skin the ratio falls back to the skin's mean's
    total = float(weight.sum())
    floor = 0.02
    smooth = [cv2.GaussianBlur(im * weight[..., None], (0, 0), sigma)
              + floor * (im * weight[..., None]).sum((0, 1)) / total for im in (tgt, src)]
    ratio = np.clip(smooth[0] / smooth[1], *LIGHT_GAIN) ** amount
    gain = cv2.resize(ratio, (side, side), interpolation=cv2.INTER_LINEAR)
    return np.clip(source.astype(np.float32) * gain[..., None] + 0.5, 0, 255).astype(np.uint8)
