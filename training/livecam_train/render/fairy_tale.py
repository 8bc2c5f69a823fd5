"""The fairy-tale reference renderer: the look the `fairy-tale` network is distilled from.

Slow and exact on purpose (OpenCV filters at full precision, several passes): it defines the
style. Steps: edge-preserving skin smoothing inside the face, softly banded shading, a warm
pastel grade with bloom, catchlights placed on the irises, blush on the cheeks, soft line art,
and a painterly pass that abstracts everything outside the face more strongly.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from livecam.frame import FrameBGR, Points
from livecam.compositing.masks import face_masks
from livecam.tracking import mesh_regions as regions

Float = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class FairyTaleLook:
    """Strength of each ingredient (0 turns it off)."""

    smoothing: float = 1.0
    bands: int = 5
    banding: float = 0.0      # the live effect shades the face in 3D from the mesh instead
    warmth: float = 1.0
    bloom: float = 0.25
    catchlights: float = 0.0  # the live effect draws the eyes
    blush: float = 0.28
    lines: float = 0.45
    painterly: float = 1.0
    crisp: float = 0.8


def _soft_bands(lum: Float, bands: int) -> Float:
    f = lum * bands
    i = np.floor(f)
    t = np.clip((f - i - 0.3) / 0.4, 0.0, 1.0)
    t = t * t * (3 - 2 * t)
    return np.asarray((i + t) / bands, np.float32)


def _xdog_lines(gray: Float, sigma: float) -> Float:
    """Line strength in [0, 1] from an extended difference of Gaussians."""
    g1 = cv2.GaussianBlur(gray, (0, 0), sigma)
    g2 = cv2.GaussianBlur(gray, (0, 0), sigma * 1.6)
    dog = g1 - 0.98 * g2
    lines = 1.0 - np.clip(1.0 + np.tanh(150.0 * (dog + 0.006)), 0.0, 1.0)
    return np.asarray(lines, np.float32)


def _disc(shape: tuple[int, int], center: npt.NDArray[np.float32], radius: float,
          feather: float) -> Float:
    mask = np.zeros(shape, np.float32)
    cv2.circle(mask, (int(round(center[0] * 4)), int(round(center[1] * 4))),
               max(1, int(round(radius * 4))), 1.0, -1, cv2.LINE_AA, shift=2)
    return cv2.GaussianBlur(mask, (0, 0), max(feather, 0.3))


def irises(landmarks: Points) -> list[tuple[npt.NDArray[np.float32], float]]:
    """Centre and radius (pixels) of each iris large enough to paint on."""
    found = []
    for center, edge in ((regions.RIGHT_IRIS_CENTER, regions.RIGHT_IRIS_EDGE),
                         (regions.LEFT_IRIS_CENTER, regions.LEFT_IRIS_EDGE)):
        c = landmarks[center, :2]
        r = float(np.linalg.norm(landmarks[edge, :2] - c))
        if r >= 1.0:
            found.append((c, r))
    return found


def render_fairy_tale(image: FrameBGR, landmarks: Points, look: FairyTaleLook = FairyTaleLook()
                      ) -> FrameBGR:
    """Paint an aligned face crop in the fairy-tale style.

    Args:
        image: BGR crop (any size; tuned for 128–512 px).
        landmarks: The face's mesh in the crop's pixels.
        look: Ingredient strengths.
    """
    h, w = image.shape[:2]
    side = float(max(h, w))
    shape = (h, w)
    img = image.astype(np.float32) / 255.0
    face, skin = face_masks(shape, landmarks)

    # surface: porcelain smoothing on skin; elsewhere flat regions with crisp edges (a
    # domain-transform filter flattens texture but keeps every strong edge sharp)
    radius = max(2, int(side / 40))
    smooth_skin = cv2.ximgproc.guidedFilter(img, img, radius, 0.012)
    img8 = np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8)
    paint = cv2.ximgproc.dtFilter(img8, img, side / 22, 28.0, mode=cv2.ximgproc.DTF_RF,
                                  numIters=3)
    paint = cv2.ximgproc.dtFilter(img8, paint, side / 60, 18.0, mode=cv2.ximgproc.DTF_RF,
                                  numIters=2)
    detail = cv2.ximgproc.guidedFilter(img, img, max(1, int(side / 128)), 0.004)
    out = detail + (paint - detail) * (look.painterly * (1.0 - face))[..., None]
    out = out + (smooth_skin - out) * (look.smoothing * skin)[..., None]
    if look.crisp > 0:   # hair, outlines and features stay crisp; skin stays smooth
        soft = cv2.GaussianBlur(out, (0, 0), max(0.8, side / 200))
        out = out + (out - soft) * (look.crisp * (1.0 - 0.9 * skin))[..., None]

    # shading: soft bands on lightness
    lab = cv2.cvtColor(np.clip(out, 0, 1), cv2.COLOR_BGR2Lab)
    lum = lab[..., 0] / 100.0
    lum = lum + (_soft_bands(lum, look.bands) - lum) * look.banding
    # warm pastel grade: lifted shadows, warmer, slightly pinker, softer chroma
    lum = 0.10 + 0.90 * np.power(np.clip(lum, 0, 1), 0.85)
    lab[..., 0] = lum * 100.0
    lab[..., 1] = lab[..., 1] * 1.05 + 4.0 * look.warmth
    lab[..., 2] = lab[..., 2] * 1.0 + 6.0 * look.warmth
    out = cv2.cvtColor(lab, cv2.COLOR_Lab2BGR)

    # bloom: highlights glow warmly
    if look.bloom > 0:
        glow = np.clip(lum - 0.68, 0, 1)[..., None] * np.array([0.85, 0.95, 1.0], np.float32)
        glow = cv2.GaussianBlur(glow, (0, 0), side / 30)
        out = 1.0 - (1.0 - out) * (1.0 - look.bloom * 2.0 * glow)

    # blush on the cheeks
    if look.blush > 0:
        pink = np.array([0.62, 0.55, 1.0], np.float32)
        eye_gap = float(np.linalg.norm(landmarks[regions.LEFT_IRIS_CENTER, :2]
                                       - landmarks[regions.RIGHT_IRIS_CENTER, :2]))
        cheeks = np.zeros(shape, np.float32)
        for idx in (regions.RIGHT_CHEEK, regions.LEFT_CHEEK):
            cheeks = np.maximum(cheeks, _disc(shape, landmarks[idx, :2], eye_gap * 0.22,
                                              eye_gap * 0.16))
        a = (look.blush * cheeks * skin)[..., None]
        out = out * (1 - a) + out * pink * a

    # soft line art from the smoothed image, lighter inside the face
    if look.lines > 0:
        source = detail + (paint - detail) * (1.0 - face)[..., None]
        gray = cv2.cvtColor(np.clip(source, 0, 1).astype(np.float32), cv2.COLOR_BGR2GRAY)
        lines = _xdog_lines(gray, max(0.7, side / 200))
        lines = cv2.GaussianBlur(lines, (0, 0), max(0.5, side / 512))
        strength = look.lines * (1.0 - 0.5 * skin)
        ink = np.array([0.22, 0.18, 0.28], np.float32)
        a = (lines * strength)[..., None]
        out = out * (1 - a) + ink * a

    # catchlights: two soft highlights on each iris, from the upper left
    if look.catchlights > 0:
        for c, r in irises(landmarks):
            upper = c + np.array([-0.35 * r, -0.35 * r], np.float32)
            lower = c + np.array([0.32 * r, 0.3 * r], np.float32)
            spots = (_disc(shape, upper, 0.28 * r, 0.1 * r)
                     + 0.6 * _disc(shape, lower, 0.13 * r, 0.06 * r))
            a = np.clip(look.catchlights * spots, 0, 1)[..., None]
            out = out * (1 - a) + a

    return np.clip(out * 255.0 + 0.5, 0, 255).astype(np.uint8)
