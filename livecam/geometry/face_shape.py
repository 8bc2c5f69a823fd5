"""Landmark-driven shape edits (bigger eyes, slimmer face, chin, nose) as a mesh warp.

The edit moves landmarks; the MediaPipe triangles carry the face's pixels along, and a ring of
extra triangles between the face oval and the crop border blends the move into the
surroundings so no seam shows where the jaw moves.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from livecam.errors import PresetError
from livecam.frame import FrameBGR, Points
from livecam.geometry.mesh_warp import Triangles, warp_mesh
from livecam.tracking import mesh_regions as regions
from livecam.tracking.mesh_topology import FACE_OVAL, TRIANGLES

NOSE_TIP, CHIN_TIP = 1, 152
RING_SCALE = 1.45


@dataclass(frozen=True, slots=True)
class ShapeSettings:
    """How much to reshape; all zeros (and eye_scale 1) leave the face as it is.

    Attributes:
        eye_scale: Eye size factor (1.15 = 15% larger).
        slim: Pull the jaw and cheeks toward the face's centre line (0 to 0.25).
        chin: Lengthen (+) or shorten (-) the chin, in face heights (-0.1 to 0.1).
        nose: Narrow the nose (0 to 0.4).
    """

    eye_scale: float = 1.0
    slim: float = 0.0
    chin: float = 0.0
    nose: float = 0.0

    def __post_init__(self) -> None:
        for name, lo, hi in (("eye_scale", 0.8, 1.4), ("slim", 0.0, 0.25),
                             ("chin", -0.1, 0.1), ("nose", 0.0, 0.4)):
            value = getattr(self, name)
            if not lo <= value <= hi:
                raise PresetError(f"shape.{name} must be {lo} to {hi}, got {value}")

    @property
    def is_identity(self) -> bool:
        return self.eye_scale == 1.0 and self.slim == 0 and self.chin == 0 and self.nose == 0


def reshaped(landmarks: Points, s: ShapeSettings) -> Points:
    """Where each landmark should move (x, y only)."""
    pts = landmarks[:, :2].astype(np.float32).copy()
    src = landmarks[:, :2]
    for eye, iris in ((regions.RIGHT_EYE, regions.RIGHT_IRIS_CENTER),
                      (regions.LEFT_EYE, regions.LEFT_IRIS_CENTER)):
        idx = list(eye) + list(range(iris, iris + 5))
        centre = src[list(eye)].mean(axis=0)
        pts[idx] = centre + (src[idx] - centre) * s.eye_scale
    eye_y = float(src[[regions.RIGHT_IRIS_CENTER, regions.LEFT_IRIS_CENTER], 1].mean())
    chin_y = float(src[CHIN_TIP, 1])
    mid_x = float(src[NOSE_TIP, 0])
    height = max(chin_y - eye_y, 1.0)
    oval = list(FACE_OVAL)
    below = np.clip((src[oval, 1] - eye_y) / height, 0.0, 1.0)
    pts[oval, 0] -= s.slim * (src[oval, 0] - mid_x) * below ** 1.5
    pts[oval, 1] += s.chin * height * 2.0 * below ** 4
    nose = list(regions.NOSE)
    pts[nose, 0] -= s.nose * (src[nose, 0] - mid_x)
    return pts


def _ring_points(landmarks: Points, side: int) -> npt.NDArray[np.float32]:
    oval = landmarks[list(FACE_OVAL), :2]
    centre = oval.mean(axis=0)
    outer = centre + (oval - centre) * RING_SCALE
    border = np.array([[0, 0], [side / 2, 0], [side - 1, 0], [side - 1, side / 2],
                       [side - 1, side - 1], [side / 2, side - 1], [0, side - 1],
                       [0, side / 2]], np.float32)
    return np.concatenate([outer, border]).astype(np.float32)


def ring_triangles(landmarks: Points, side: int) -> Triangles:
    """Triangles between the face oval, a wider ring and the crop border (Delaunay, once).

    Vertex indices past 477 refer to the ring points appended by `FaceReshaper`.
    """
    oval = list(FACE_OVAL)
    ring = _ring_points(landmarks, side)
    points = np.concatenate([landmarks[oval, :2], ring])
    subdiv = cv2.Subdiv2D((-side, -side, 3 * side, 3 * side))
    for p in points:
        subdiv.insert((float(p[0]), float(p[1])))
    lookup = {(round(float(p[0]), 2), round(float(p[1]), 2)): i for i, p in enumerate(points)}
    n_oval = len(oval)
    tris = []
    for t in subdiv.getTriangleList():
        found = [lookup.get((round(float(t[k]), 2), round(float(t[k + 1]), 2)))
                 for k in (0, 2, 4)]
        ids = [i for i in found if i is not None]
        if len(ids) < 3 or all(i < n_oval for i in ids):
            continue
        tris.append([oval[i] if i < n_oval else 478 + (i - n_oval) for i in ids])
    return np.asarray(tris, np.int32)


class FaceReshaper:
    """Applies `ShapeSettings` to aligned crops of one size."""

    def __init__(self, settings: ShapeSettings, side: int) -> None:
        self.settings = settings
        self.side = side
        self._triangles: Triangles | None = None

    def apply(self, crop: FrameBGR, landmarks: Points) -> tuple[FrameBGR, Points]:
        """The reshaped crop and the landmarks where they now are."""
        if self.settings.is_identity:
            return crop, landmarks
        if self._triangles is None:
            self._triangles = np.concatenate([np.asarray(TRIANGLES, np.int32),
                                              ring_triangles(landmarks, self.side)])
        target = reshaped(landmarks, self.settings)
        ring = _ring_points(landmarks, self.side)
        src = np.concatenate([landmarks[:, :2], ring])
        dst = np.concatenate([target, ring])
        out, _ = warp_mesh(crop, src, dst, self._triangles)
        moved = landmarks.copy()
        moved[:, :2] = target
        return out, moved
