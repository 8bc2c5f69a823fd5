"""The streamer's own eyes and mouth inside the worn face.

The enrolled photo's eyes look straight ahead and its mouth is usually closed; warped onto the
streamer's mesh they would paste a fixed gaze over every glance and stretch closed lips around
an open mouth. So what lies inside the eyelids and the inner lips is taken from the streamer's
own crop, moved with the same mesh onto the worn face's shape, and blended in with a feather
just inside the lid and lip lines: blinks, gaze, teeth and tongue come from the camera, the
lids, lashes and lips around them from the enrolled face, and the iris takes the enrolled
face's colour. A closing eye brings the streamer's own lids with it, in proportion: the
enrolled face's open-eye lids and lashes squeezed onto a shut mesh still read as an open
eye, to a viewer and to a face tracker.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from livecam.frame import FrameBGR, Points
from livecam.geometry.mesh_warp import warp_mesh
from livecam.look.eyes import iris_colour
from livecam.tracking import mesh_regions as regions
from livecam.tracking.openness import EYES_SHUT, eye_ratios

EYE_TRIANGLES = np.asarray(regions.fan(regions.RIGHT_EYE_LOOP)
                           + regions.fan(regions.LEFT_EYE_LOOP), np.int32)
MOUTH_TRIANGLES = np.asarray(regions.fan(regions.INNER_LIPS), np.int32)
IRIS_SHIFT = 0.6   # how far a kept iris moves toward the enrolled colour (fully reads as paint)
IRISES = ((regions.RIGHT_IRIS_CENTER, (33, 133)), (regions.LEFT_IRIS_CENTER, (362, 263)))
Openings = tuple[FrameBGR, npt.NDArray[np.float32]]   # the openings' pixels and where they show
LIDS = ((regions.RIGHT_EYE_LOOP, (33, 133)), (regions.LEFT_EYE_LOOP, (362, 263)))   # loop, corners
LID_OPEN = 0.20    # lid gap / eye width at and above which the worn lids are the enrolled face's
# (at EYES_SHUT and below they are the streamer's own closed lids)
LID_REACH = (0.75, 0.45)   # the lids' region around the eye centre, in eye widths (x, y)


def closure(landmarks: Points) -> tuple[float, float]:
    """How far each eye is closed, 0 (open) to 1 (shut), from its lid gap."""
    right, left = (float(np.clip((LID_OPEN - r) / (LID_OPEN - EYES_SHUT), 0.0, 1.0))
                   for r in eye_ratios(landmarks))
    return right, left


def iris_chroma(image: FrameBGR, landmarks: Points) -> npt.NDArray[np.float32]:
    """The irises' colour as Lab (a, b), 8-bit OpenCV units."""
    bgr = iris_colour(image, landmarks).reshape(1, 1, 3)
    lab = cv2.cvtColor((bgr * 255.0).astype(np.uint8), cv2.COLOR_BGR2LAB).reshape(3)
    return lab[1:].astype(np.float32)


def interiors(crop: FrameBGR, landmarks: Points, dst: Points, eyes: bool, mouth: bool,
              iris_ab: npt.NDArray[np.float32] | None = None) -> Openings | None:
    """The eye and mouth openings of `crop` (whose mesh is `landmarks`) moved to `dst`, and
    where they show (0–1, feathered inward so the lid and lip lines stay the enrolled face's);
    None when nothing is open or kept.

    Args:
        crop: The target crop.
        landmarks: The target's mesh in crop pixels.
        dst: The reshaped mesh the enrolled face is warped to.
        eyes: Keep the target's eyes (iris, gaze, blinks).
        mouth: Keep the target's mouth interior (teeth, tongue).
        iris_ab: The enrolled face's iris colour (Lab a, b) for the kept eyes.
    """
    parts = ([EYE_TRIANGLES] if eyes else []) + ([MOUTH_TRIANGLES] if mouth else [])
    if not parts:
        return None
    side = crop.shape[0]
    inside, covered = warp_mesh(crop, landmarks[:, :2], dst, np.concatenate(parts),
                                out=np.zeros_like(crop))
    if not covered.any():
        return None
    if eyes and iris_ab is not None:
        inside = _recolour_irises(inside, dst, iris_ab, iris_chroma(crop, landmarks))
    hard = cv2.erode(covered, np.ones((3, 3), np.uint8))
    alpha = cv2.GaussianBlur(hard.astype(np.float32) / 255.0, (0, 0), max(side / 320, 0.6))
    shut = closure(landmarks) if eyes else (0.0, 0.0)
    if max(shut) <= 0.0:
        return inside, alpha
    lids, lid_alpha = _closing_lids(crop, landmarks, dst, shut)
    under = lid_alpha * (1.0 - alpha)   # the openings over the lids
    mixed = (inside.astype(np.float32) * alpha[..., None]
             + lids.astype(np.float32) * under[..., None]) / np.maximum(alpha + under,
                                                                        1e-6)[..., None]
    return np.clip(mixed + 0.5, 0, 255).astype(np.uint8), alpha + under


def _closing_lids(crop: FrameBGR, landmarks: Points, dst: Points, shut: tuple[float, float]
                  ) -> Openings:
    """The streamer's lids moved to `dst`, shown around each eye as far as it is closed."""
    side = crop.shape[0]
    face, _ = warp_mesh(crop, landmarks[:, :2], dst, regions.FILLED_TRIANGLES,
                        out=np.zeros_like(crop))
    alpha = np.zeros((side, side), np.float32)
    for (loop, (left, right)), amount in zip(LIDS, shut):
        if amount <= 0.0:
            continue
        width = float(np.linalg.norm(dst[left, :2] - dst[right, :2]))
        centre = dst[list(loop), :2].mean(axis=0)
        axes = (max(int(round(LID_REACH[0] * width)), 1), max(int(round(LID_REACH[1] * width)), 1))
        region = np.zeros((side, side), np.float32)
        cv2.ellipse(region, (int(round(centre[0])), int(round(centre[1]))), axes, 0.0, 0.0,
                    360.0, 1.0, -1, cv2.LINE_AA)
        region = cv2.GaussianBlur(region, (0, 0), max(0.2 * width, 0.6))
        alpha = np.maximum(alpha, amount * region)
    return face, alpha


def lay_in(image: FrameBGR, kept: Openings | None) -> FrameBGR:
    """`image` with the kept openings blended in."""
    if kept is None:
        return image
    inside, alpha = kept
    return cv2.blendLinear(inside, image, alpha, 1.0 - alpha)


def _recolour_irises(image: FrameBGR, dst: Points, to_ab: npt.NDArray[np.float32],
                     from_ab: npt.NDArray[np.float32]) -> FrameBGR:
    """Shift the chroma inside each iris disc from `from_ab` to `to_ab`, keeping lightness."""
    h, w = image.shape[:2]
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).astype(np.float32)
    weight = np.zeros((h, w), np.float32)
    for centre, (a, b) in IRISES:
        c = dst[centre, :2]
        r = 0.22 * float(np.linalg.norm(dst[a, :2] - dst[b, :2]))
        if r < 1.0:
            continue
        cv2.circle(weight, (int(round(c[0] * 4)), int(round(c[1] * 4))),
                   int(round(r * 4)), 1.0, -1, cv2.LINE_AA, shift=2)
    weight = cv2.GaussianBlur(weight, (0, 0), 1.0)
    lab[..., 1:] += weight[..., None] * (IRIS_SHIFT * (to_ab - from_ab))
    return cv2.cvtColor(np.clip(lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2BGR)
