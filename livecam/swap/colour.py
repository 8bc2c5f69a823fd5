"""Colour and light transfer: the source face takes the target's skin tone and brightness."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from livecam.frame import FrameBGR, Points
from livecam.tracking.mesh_regions import INNER_LIPS, OUTER_LIPS


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


LIGHT_SIGMA = 1 / 16      # the light's scale, in crop sides: shading, not features
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


LIP_OWN = 0.8   # the share of the colour change to the target's skin the lips give back


def keep_lip_colour(matched: FrameBGR, original: FrameBGR, landmarks: Points,
                    amount: float = LIP_OWN) -> FrameBGR:
    """`matched` with its lips' chroma moved back toward `original`'s by `amount`.

    The skin must take the room's tone or the face shows a seam, but lip colour is the
    person's own: a pink-lipped face pasted on a pale-lipped one keeps pink lips. Lightness
    stays `matched`'s (the room's light).

    Args:
        matched: The colour-matched warped face; `original` the same warp before matching.
        landmarks: The mesh both are warped onto, in their pixels.
    """
    outer = np.round(landmarks[list(OUTER_LIPS), :2]).astype(np.int32)
    x, y, w, h = cv2.boundingRect(outer)
    pad = max(2, w // 8)
    side = matched.shape[0]
    x0, y0 = max(x - pad, 0), max(y - pad, 0)
    x1, y1 = min(x + w + pad, side), min(y + h + pad, side)
    if amount <= 0.0 or x1 - x0 < 4 or y1 - y0 < 4:
        return matched
    band = np.zeros((y1 - y0, x1 - x0), np.float32)
    cv2.fillPoly(band, [outer - (x0, y0)], 1.0, cv2.LINE_AA)
    inner = np.round(landmarks[list(INNER_LIPS), :2]).astype(np.int32) - (x0, y0)
    cv2.fillPoly(band, [inner], 0.0, cv2.LINE_AA)
    band = cv2.GaussianBlur(band, (0, 0), max(w / 40, 0.6)) * np.float32(amount)
    lab_m = cv2.cvtColor(matched[y0:y1, x0:x1], cv2.COLOR_BGR2LAB).astype(np.float32)
    lab_o = cv2.cvtColor(original[y0:y1, x0:x1], cv2.COLOR_BGR2LAB).astype(np.float32)
    lab_m[..., 1:] += band[..., None] * (lab_o[..., 1:] - lab_m[..., 1:])
    out = matched.copy()
    out[y0:y1, x0:x1] = cv2.cvtColor(np.clip(lab_m + 0.5, 0, 255).astype(np.uint8),
                                     cv2.COLOR_LAB2BGR)
    return out
