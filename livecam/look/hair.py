"""A glossy band across the hair, the highlight a 3D or cel character's hair is drawn with.

The band follows the head's own silhouette: it lies a fixed depth inside the person's outline
(from the segmentation map the stylizer already has), above the brows and outside the face, so
it curves over the crown whatever the hairstyle, and it is brightest toward the key light
(upper left, as in `shading.py`) and fades down the sides. It is drawn into the finished
frame, at its resolution, in a box around the head.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from livecam.compositing.paste import Person
from livecam.frame import FrameBGR, Points
from livecam.tracking.mesh_topology import FACE_OVAL

Float = npt.NDArray[np.float32]
DEPTH, WIDTH = 0.11, 0.035   # the band's depth inside the outline and half-width, face heights
SPREAD = 0.9                 # radians from the crown at which the band has faded to 1/e
TOWARD_KEY = -0.15           # the brightest point, turned toward the upper-left key light
FACE_GROW = 1.08             # the face oval grown by this is never glossed
STRAND = 0.01               # strands are finer than this, in face heights
PLAN_HEIGHT = 96             # the band is smooth: planned where the face is this tall


def hair_gloss(out: FrameBGR, landmarks: Points, person: Person, amount: float) -> None:
    """Lighten a band across the hair of the face whose frame-pixel mesh is `landmarks`, in
    place; `amount` 0–1 is how far the band's centre is lifted toward white."""
    if amount <= 0.0:
        return
    top, chin = landmarks[10, :2].astype(np.float64), landmarks[152, :2].astype(np.float64)
    height = float(np.linalg.norm(top - chin))
    if height < 24:
        return
    up = (top - chin) / height
    right = np.array([-up[1], up[0]])
    centre = top - up * 0.15 * height         # the band ends above the brows
    corners = np.array([top + s * right * 0.95 * height + t * up * height
                        for s in (-1, 1) for t in (-0.25, 0.75)])
    h, w = out.shape[:2]
    x0, y0 = (max(int(v), 0) for v in np.floor(corners.min(axis=0)))
    x1, y1 = (int(v) for v in np.ceil(corners.max(axis=0)))
    x1, y1 = min(x1, w), min(y1, h)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return
    k = min(1.0, PLAN_HEIGHT / height)
    size = (max(int((x1 - x0) * k), 2), max(int((y1 - y0) * k), 2))
    lift = _band(_person_box(person, (x0, y0, x1, y1), size), landmarks, (x0, y0), k, height,
                 centre, up, right) * amount
    full = cv2.resize((lift * 255.0 + 0.5).astype(np.uint8), (x1 - x0, y1 - y0),
                      interpolation=cv2.INTER_LINEAR)
    bx, by, bw, bh = cv2.boundingRect(full)
    if bw == 0 or bh == 0:
        return
    roi = out[y0 + by:y0 + by + bh, x0 + bx:x0 + bx + bw]
    gain = cv2.merge([_along_strands(roi, full[by:by + bh, bx:bx + bw], height)] * 3)
    roi[...] = cv2.add(roi, cv2.multiply(cv2.subtract(255, roi), gain, scale=1.0 / 255.0))


def _along_strands(roi: FrameBGR, gain: npt.NDArray[np.uint8], height: float
                   ) -> npt.NDArray[np.uint8]:
    """The gain streaked by the hair's own strands (lighter strands catch more of the light),
    so the band lies along the hair's flow instead of over it like a stripe of paint."""
    grey = cv2.cvtColor(roi, cv2.COLOR_BGR2GRAY)
    # the broad shade is smooth: blurred at half size, a quarter of the work
    h, w = grey.shape
    half = cv2.resize(grey, (max(w // 2, 1), max(h // 2, 1)), interpolation=cv2.INTER_AREA)
    broad = cv2.resize(cv2.GaussianBlur(half, (0, 0), max(STRAND * height / 2, 0.5)),
                       (w, h), interpolation=cv2.INTER_LINEAR)
    # 128 + (fine − broad) × 4: strands above their surroundings brighten the band, below dim it
    strands = cv2.addWeighted(grey, 4.0, broad, -4.0, 128.0)
    return cv2.multiply(gain, strands, scale=1.0 / 128.0)


def _band(inside: Float, landmarks: Points, origin: tuple[int, int], k: float, height: float,
          centre: npt.NDArray[np.float64], up: npt.NDArray[np.float64],
          right: npt.NDArray[np.float64]) -> Float:
    """The band's strength 0–1 on the box's small grid (`k` of the frame's pixels)."""
    solid = (inside > 0.5).astype(np.uint8)
    depth = cv2.distanceTransform(solid, cv2.DIST_L2, 3) / (height * k)
    band = np.exp(-(((depth - DEPTH) / WIDTH) ** 2))
    ys, xs = np.mgrid[0:solid.shape[0], 0:solid.shape[1]].astype(np.float32)
    dx, dy = (xs + 0.5) / k + origin[0] - centre[0], (ys + 0.5) / k + origin[1] - centre[1]
    across, along = dx * right[0] + dy * right[1], dx * up[0] + dy * up[1]
    angle = np.arctan2(across, np.maximum(along, 1e-3)) - TOWARD_KEY
    band *= np.exp(-((angle / SPREAD) ** 2)) * np.clip(along / (0.1 * height), 0.0, 1.0)
    face = np.zeros(solid.shape, np.float32)
    oval = landmarks[list(FACE_OVAL), :2].astype(np.float64)
    mid = oval.mean(axis=0)
    grown = ((mid + (oval - mid) * FACE_GROW - origin) * k).astype(np.float32)
    cv2.fillPoly(face, [np.round(grown * 4).astype(np.int32)], 1.0, cv2.LINE_AA, shift=2)
    band *= (1.0 - cv2.GaussianBlur(face, (0, 0), max(0.02 * height * k, 0.5))) * inside
    return band.astype(np.float32)


def _person_box(person: Person, box: tuple[int, int, int, int], size: tuple[int, int]
                ) -> Float:
    """The person probability over a frame box, resampled to `size` (width, height)."""
    probability, scale = person
    x0, y0, x1, y1 = box
    kx, ky = size[0] / (x1 - x0), size[1] / (y1 - y0)
    matrix = np.array([[kx / scale, 0.0, -x0 * kx], [0.0, ky / scale, -y0 * ky]])  # map → box
    return cv2.warpAffine(probability, matrix, size, flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
