"""Hair over the enrolled face: found once per view and left out of the paste.

A fringe or a lock over the enrolled photo's forehead would otherwise be pasted onto the
streamer's forehead as a streak of someone else's hair, where the streamer's own forehead is
the better answer. Hair falls from above: only what lies above the eyes, reaches the face's
edge and differs from the skin under the eyes in colour or brightness is taken for it, so the
cheeks' shadows (which colour cannot tell from hair) are never cut out.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from livecam.compositing.masks import Mask, fill_region, swap_mask
from livecam.frame import FrameBGR, Points
from livecam.geometry.mesh_warp import warp_mesh
from livecam.tracking import mesh_regions as regions
from livecam.tracking.mesh_regions import FILLED_TRIANGLES

REFERENCE_POINTS = (205, 425, 50, 280, 4, 195)   # cheeks and nose: rarely under hair
LIGHTNESS_SPREADS = 4.0   # robust spreads from the skin's lightness that are not skin
CHROMA_SPREADS = 3.5      # the same for its colour (a*, b*): blonde hair differs there
MIN_AREA = 0.004          # of the crop: smaller blobs are a mole or a highlight
GROW = 0.012             # of the side: the cover's feather (strands' tips are fainter)
WORK_SIDE = 64            # the cover is smooth: worn at this side, then scaled up
BOTTOM_LIDS = (145, 374)


def _feature_holes(landmarks: Points, side: int) -> npt.NDArray[np.bool_]:
    """The eyes and brows, enlarged: dark by nature, never hair to cut out."""
    holes = np.zeros((side, side), np.uint8)
    for points, scale in ((regions.RIGHT_EYE_LOOP, 1.5), (regions.LEFT_EYE_LOOP, 1.5),
                          (regions.RIGHT_BROW, 1.4), (regions.LEFT_BROW, 1.4)):
        fill_region(holes, landmarks, points, 1, scale=scale, hull=True)
    return holes > 0


def hair_cover(image: FrameBGR, landmarks: Points) -> Mask | None:
    """0–1 over the pixels of the enrolled crop `image` that hair covers (None: none found)."""
    side = image.shape[0]
    blurred = cv2.GaussianBlur(image, (0, 0), side / 100)   # strands into a colour
    lab = cv2.cvtColor(blurred, cv2.COLOR_BGR2LAB).astype(np.float32)
    eyes = float(np.linalg.norm(landmarks[33, :2] - landmarks[263, :2]))
    r = max(2, int(0.08 * eyes))
    reference = np.zeros((side, side), bool)
    for i in REFERENCE_POINTS:
        x, y = (int(v) for v in landmarks[i, :2])
        reference[max(y - r, 0):y + r + 1, max(x - r, 0):x + r + 1] = True
    skin = lab[reference]
    centre = np.median(skin, axis=0)
    spread = np.median(np.abs(skin - centre), axis=0) * 1.48 + 1.5
    z = np.abs(lab - centre) / spread
    off = np.maximum(z[..., 0] / LIGHTNESS_SPREADS, z[..., 1:].max(axis=2) / CHROMA_SPREADS)
    region = swap_mask(landmarks[:, :2], side, keep_mouth=False) > 0.05
    region[int(landmarks[list(BOTTOM_LIDS), 1].max()):] = False
    region &= ~_feature_holes(landmarks, side)
    edge = region & ~cv2.erode(region.view(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    _, labels, stats, _ = cv2.connectedComponentsWithStats((region & (off > 1.0)).view(np.uint8))
    big = np.flatnonzero(stats[1:, cv2.CC_STAT_AREA] > MIN_AREA * side * side) + 1   # 0: none
    blobs = np.intersect1d(big, labels[edge])   # hair comes in from the face's edge
    if not len(blobs):
        return None
    found = np.isin(labels, blobs).astype(np.float32)
    return np.clip(cv2.GaussianBlur(found, (0, 0), side * GROW) * 2.0, 0.0, 1.0)


def worn_cover(cover: Mask, source_marks: Points, dst: Points, side: int) -> Mask:
    """`cover` (on the enrolled crop, its mesh `source_marks`) moved onto the mesh `dst` in a
    crop of `side`."""
    k_src = WORK_SIDE / cover.shape[0]
    small = cv2.resize(cover, (WORK_SIDE, WORK_SIDE), interpolation=cv2.INTER_AREA)
    k_dst = WORK_SIDE / side
    moved, _ = warp_mesh(small, ((source_marks[:, :2] + 0.5) * k_src - 0.5).astype(np.float32),
                         ((dst[:, :2] + 0.5) * k_dst - 0.5).astype(np.float32), FILLED_TRIANGLES,
                         out=np.zeros((WORK_SIDE, WORK_SIDE), np.float32))
    return cv2.resize(moved, (side, side), interpolation=cv2.INTER_LINEAR)
