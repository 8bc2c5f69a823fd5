"""The anime reference renderer: the structure target of the anime network's mixed training.

A 2D cel look: the photo flattened into regions of one colour with crisp edges (a
domain-transform filter), the skin made one even, pale, warm tone lit in two hard cel bands,
a high-key, strongly saturated grade in the photo's own hues (anime frames are about 25 %
brighter than webcam photos), ink along every clear edge and as thin strands in the hair but
hardly any on the skin, and the nose and mouth reduced to small shadows and lines. Ink is a
darkened copy of the colour under it, and wide dark patches (hair texture that an adaptive
threshold marks whole) are kept only as a soft shadow, never as black blots. The eyes are
drawn by the live effect at the output resolution; here they keep their structure, darkened.
The lift, the flat skin and the line art are what move a photo toward anime for the
anime-vs-photo classifier of `benchmarks/stylizer_quality.py`; the adversarial loss against
real anime faces adds what a hand-written filter cannot.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from livecam.frame import FrameBGR, Points
from livecam.compositing.masks import face_masks

Float = npt.NDArray[np.float32]

# Inside the face the look is held back (how much of the skin is made one even tone, the
# high-key lift, the cel banding, the colour boost) so the person stays recognisable; the
# hair and background carry the full cel look.
EVEN = 0.2
KEY_FACE, KEY_OUT = 0.25, 0.55
CEL_FACE = 0.25
SAT_FACE, SAT_OUT = 1.5, 2.0
LINE_BLOCK, LINE_OFFSET = 17, 3    # adaptive threshold: window (side / LINE_BLOCK), offset
THIN = 80          # strokes wider than side / THIN are patches, not lines ...
PATCH_CUT = 0.6    # ... and lose this share of their ink
EDGE_SIGMA, EDGE_T = 2.5 / 256, 0.006   # edge strokes: width (share of side), threshold
INK_KEEP = 0.18    # ink is the colour under it at this brightness


def _odd(n: float) -> int:
    return max(3, int(n) | 1)


def _ink_lines(gray: Float, side: float, block: float, offset: float) -> Float:
    """Line strength in [0, 1]: pixels darker than their neighbourhood mean, softened."""
    g8 = np.clip(gray * 255.0 + 0.5, 0, 255).astype(np.uint8)
    smooth = cv2.medianBlur(g8, _odd(side / 64))
    ink = cv2.adaptiveThreshold(smooth, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV,
                                _odd(side / block), offset)
    lines = cv2.GaussianBlur(ink.astype(np.float32) / 255.0, (0, 0), max(0.5, side / 400))
    lines = np.clip(lines * 1.3, 0.0, 1.0)
    # what a disc wider than a stroke fits inside is a patch
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (_odd(side / THIN),) * 2)
    patches = cv2.dilate(cv2.erode(lines, disc), disc)
    return np.clip(lines - PATCH_CUT * patches, 0.0, 1.0)


def _edge_lines(gray: Float, side: float) -> Float:
    """Strokes along the dark side of every clear edge (a difference of Gaussians)."""
    s = side * EDGE_SIGMA
    dog = cv2.GaussianBlur(gray, (0, 0), s) - cv2.GaussianBlur(gray, (0, 0), 1.6 * s)
    return np.clip((-dog - EDGE_T) / EDGE_T, 0.0, 1.0)


def render_anime(image: FrameBGR, landmarks: Points) -> FrameBGR:
    """Paint an aligned face crop in the anime cel style."""
    h, w = image.shape[:2]
    side = float(max(h, w))
    img = image.astype(np.float32) / 255.0
    face, skin = face_masks((h, w), landmarks)
    features = face * (1.0 - skin)  # eyes, brows, lips

    img8 = np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8)
    flat = cv2.ximgproc.dtFilter(img8, img, side / 12, 38.0, mode=cv2.ximgproc.DTF_RF,
                                 numIters=3)
    detail = cv2.ximgproc.guidedFilter(img, img, max(1, int(side / 128)), 0.004)
    base = flat + (detail - flat) * (0.8 * features)[..., None]

    # the skin: one even tone (the face's median skin colour) keeping only broad light
    inside = skin > 0.5
    if inside.sum() > 16:
        tone = np.median(base[inside], axis=0)
        broad = cv2.GaussianBlur(base, (0, 0), side / 16)
        even = tone + (broad - cv2.GaussianBlur(broad, (0, 0), side / 6)) * 0.6
        base = base + (even - base) * (EVEN * skin)[..., None]

    lab = cv2.cvtColor(np.clip(base, 0, 1), cv2.COLOR_BGR2Lab)
    lum = lab[..., 0] / 100.0
    lum = lum + (1.0 - lum) * (KEY_OUT - (KEY_OUT - KEY_FACE) * face)  # high key
    # two hard cel bands on the skin, from its broad light; three elsewhere
    cel_skin = np.where(cv2.GaussianBlur(lum, (0, 0), side / 40) > np.median(lum[inside])
                        - 0.04 if inside.any() else 0.5, 0.95, 0.82)
    levels = (0.28, 0.6, 0.85, 0.97)
    edges = [(levels[i] + levels[i + 1]) / 2 for i in range(len(levels) - 1)]
    cel = np.full_like(lum, levels[0])
    for edge, lo, hi in zip(edges, levels[:-1], levels[1:]):
        cel = cel + (hi - lo) * np.clip((lum - edge) / 0.03 + 0.5, 0.0, 1.0)
    cel = cel + (cv2.GaussianBlur(cel_skin.astype(np.float32), (0, 0), side / 300) - cel) * skin
    lum = lum + (cel - lum) * (0.85 - (0.85 - CEL_FACE) * face - 0.3 * features)
    lab[..., 0] = np.clip(lum, 0, 1) * 100.0
    chroma = SAT_OUT - (SAT_OUT - SAT_FACE) * face
    lab[..., 1] = lab[..., 1] * chroma
    lab[..., 2] = lab[..., 2] * chroma
    out = cv2.cvtColor(lab, cv2.COLOR_Lab2BGR)

    gray = cv2.cvtColor(np.clip(flat, 0, 1).astype(np.float32), cv2.COLOR_BGR2GRAY)
    lines = np.maximum(_ink_lines(gray, side, LINE_BLOCK, LINE_OFFSET), _edge_lines(gray, side))
    a = (lines * (1.0 - 0.95 * skin) * (1.0 - 0.6 * features))[..., None]
    out = out * (1.0 - a * (1.0 - INK_KEEP))
    return np.clip(out * 255.0 + 0.5, 0, 255).astype(np.uint8)
