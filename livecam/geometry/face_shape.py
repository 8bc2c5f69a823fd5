"""Cartoon proportions as a mesh warp planned in 3D: bigger eyes, smaller nose and mouth, a
softer chin, a rounder cranium.

The edits are made in the head's own frame (the mesh rotated to face the camera, using its
depth), then rotated back and projected, so a turned head gets the same edit foreshortened
instead of a flat 2D one that tears. The MediaPipe triangles, with the eye and mouth openings
filled, carry the pixels along (an eye's white and iris grow with its lids), and a ring of
extra triangles between the face oval and the crop border blends the move into the
surroundings so no seam shows where the jaw moves.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Annotated

import cv2
import numpy as np
import numpy.typing as npt

from livecam.config_tables import Range, check_fields
from livecam.frame import FrameBGR, Points
from livecam.geometry.eye_bulge import bulge_field, eye_bulges
from livecam.geometry.mesh_raster import Field, Triangles, scale_field, warp_field
from livecam.tracking import mesh_regions as regions
from livecam.tracking.mesh_topology import FACE_OVAL

NOSE_TIP, CHIN_TIP, FOREHEAD_TOP = 1, 152, 10
RIGHT_OUTER, LEFT_OUTER = 33, 263
RING_SCALE = 1.45
MOUTH_CENTRE = (13, 14, 61, 291)
FOLD_TRIES = 5
BACK_OFF = 0.6   # share of the move kept, per try, while it folds a triangle
OWN_AREA = 0.05   # the mesh's own triangles are larger than this share of the median one
FOLD_AREA = 0.25  # a triangle turned over to more than this share of the median one shows
EDITED = tuple(sorted({*regions.NOSE, *regions.LIPS, *FACE_OVAL}))   # the edits move these
HELD = tuple(sorted({*regions.RIGHT_EYE_LOOP, *regions.LEFT_EYE_LOOP} - set(EDITED)))


@dataclass(frozen=True, slots=True)
class ShapeSettings:
    """How much to reshape; all zeros (and eye_scale 1) leave the face as it is.

    Attributes:
        eye_scale: Eye size factor, lids, white and iris together (1.25 = 25% larger).
        slim: Pull the jaw and cheeks toward the face's centre line (0 to 0.25).
        chin: Lengthen (+) or shorten (-) the chin, in face heights (-0.1 to 0.1).
        nose: Shrink the nose toward its centre (0 to 0.4).
        mouth: Shrink the mouth toward its centre (0 to 0.4).
        cranium: Round and raise the forehead and temples (0 to 0.2).
    """

    eye_scale: Annotated[float, Range(0.8, 2.0)] = 1.0
    slim: Annotated[float, Range(0.0, 0.25)] = 0.0
    chin: Annotated[float, Range(-0.1, 0.1)] = 0.0
    nose: Annotated[float, Range(0.0, 0.4)] = 0.0
    mouth: Annotated[float, Range(0.0, 0.4)] = 0.0
    cranium: Annotated[float, Range(0.0, 0.2)] = 0.0

    def __post_init__(self) -> None:
        check_fields(self, "shape")

    @property
    def is_identity(self) -> bool:
        return (self.eye_scale == 1.0 and self.slim == 0 and self.chin == 0 and self.nose == 0
                and self.mouth == 0 and self.cranium == 0)


def head_frame(points: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Rows: the head's right-to-left, top-to-bottom and back-to-front axes (3×3 rotation),
    from the eye corners and the forehead–chin line."""
    x = points[LEFT_OUTER] - points[RIGHT_OUTER]
    x /= max(float(np.linalg.norm(x)), 1e-9)
    down = points[CHIN_TIP] - points[FOREHEAD_TOP]
    y = down - x * float(down @ x)
    y /= max(float(np.linalg.norm(y)), 1e-9)
    return np.stack([x, y, np.cross(x, y)])


def _scale_about(pts: npt.NDArray[np.float64], idx: list[int], centre: npt.NDArray[np.float64],
                 factor: float) -> None:
    pts[idx] = centre + (pts[idx] - centre) * factor


def reshaped(landmarks: Points, s: ShapeSettings, depth: npt.NDArray[np.float32] | None = None
             ) -> Points:
    """Where each landmark should move (x, y), planned in the head's frame.

    Args:
        landmarks: N×2 (or N×3) mesh in pixels.
        s: The edit.
        depth: Each landmark's z in the same pixels (flat when None).
    """
    pts3 = np.zeros((len(landmarks), 3), np.float64)
    pts3[:, :2] = landmarks[:, :2]
    if depth is not None:
        pts3[:, 2] = depth
    elif landmarks.shape[1] > 2:
        pts3[:, 2] = landmarks[:, 2]
    centre = pts3[list(FACE_OVAL)].mean(axis=0)
    rot = head_frame(pts3)
    f = (pts3 - centre) @ rot.T          # frontal: x right-to-left, y down, z toward camera
    src = f.copy()

    nose = list(regions.NOSE)
    nose_centre = src[nose].mean(axis=0)
    _scale_about(f, nose, nose_centre, 1.0 - s.nose)
    lips = list(regions.LIPS)
    _scale_about(f, lips, src[list(MOUTH_CENTRE)].mean(axis=0), 1.0 - s.mouth)

    eye_y = float(src[[regions.RIGHT_IRIS_CENTER, regions.LEFT_IRIS_CENTER], 1].mean())
    chin_y = float(src[CHIN_TIP, 1])
    mid_x = float(nose_centre[0])
    height = max(chin_y - eye_y, 1.0)
    oval = list(FACE_OVAL)
    below = np.clip((src[oval, 1] - eye_y) / height, 0.0, 1.0)
    f[oval, 0] -= s.slim * (src[oval, 0] - mid_x) * below ** 1.5
    f[oval, 1] += s.chin * height * 2.0 * below ** 4
    above = np.clip((eye_y - src[oval, 1]) / height, 0.0, 1.0)
    radial = src[oval, :2] - np.array([mid_x, eye_y])
    f[oval, :2] += s.cranium * radial * np.sqrt(above)[:, None]

    start = pts3[:, :2]
    move = (f @ rot + centre)[:, :2] - start
    free, carry = _carry_operator()
    move[free] = carry @ move[np.array(EDITED)]
    before = _signed_areas(start)
    typical = float(np.median(np.abs(before)))
    # the mesh's own triangles (not the slivers that fill the eye and mouth openings: they
    # flip harmlessly as a lid closes), and a fold that shows: one squeezed just past a
    # sliver moves no pixel, and backing off the whole edit for it took it to a third or less
    own = np.abs(before) > OWN_AREA * typical
    for _ in range(FOLD_TRIES):   # never fold a triangle over its neighbour: back off
        after = _signed_areas(start + move)
        if not (own & (before * after < 0) & (np.abs(after) > FOLD_AREA * typical)).any():
            break
        move *= BACK_OFF
    return np.asarray(start + move, np.float32)


@functools.lru_cache(maxsize=1)
def _carry_operator() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """The skin between the edited points (nose, lips, outline) and the held eyes, and the
    matrix that gives it their moves, smoothly (harmonic on the mesh's edges).

    Moving only the edited points folds the thin triangles between them and the points that
    stay (under the nose, along the jaw) on nearly every frame, and the fold guard then
    took the whole edit back to a third or less; skin carried along as a brush would carry it does
    not fold.
    """
    n = regions.MESH_POINTS
    adjacent = np.zeros((n, n))
    for a, b in ((0, 1), (1, 2), (2, 0)):
        adjacent[regions.SKIN_TRIANGLES[:, a], regions.SKIN_TRIANGLES[:, b]] = 1.0
        adjacent[regions.SKIN_TRIANGLES[:, b], regions.SKIN_TRIANGLES[:, a]] = 1.0
    fixed = set(EDITED) | set(HELD) | set(np.nonzero(adjacent.sum(axis=1) == 0)[0].tolist())
    free = np.array([i for i in range(n) if i not in fixed])
    edited = np.array(EDITED)
    laplacian = np.diag(adjacent[free].sum(axis=1)) - adjacent[np.ix_(free, free)]
    carry: npt.NDArray[np.float64] = np.linalg.solve(laplacian,
                                                     adjacent[np.ix_(free, edited)])
    return free, carry


def _signed_areas(pts: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    a, b, c = (pts[regions.SKIN_TRIANGLES[:, k]] for k in range(3))
    return 0.5 * ((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1])
                  - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1]))


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

    Vertex indices from MESH_POINTS on refer to the ring points appended by `FaceReshaper`.
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
        tris.append([oval[i] if i < n_oval else regions.MESH_POINTS + (i - n_oval) for i in ids])
    return np.asarray(tris, np.int32)


class FaceReshaper:
    """Applies `ShapeSettings` to aligned crops: the warp is planned on the mesh once per
    frame and can be applied at any resolution of the same crop."""

    def __init__(self, settings: ShapeSettings) -> None:
        self.settings = settings
        self._triangles: dict[int, Triangles] = {}

    def _mesh(self, landmarks: Points, side: int) -> Triangles:
        if side not in self._triangles:
            self._triangles[side] = np.concatenate([regions.FILLED_TRIANGLES,
                                                    ring_triangles(landmarks, side)])
        return self._triangles[side]

    def plan(self, landmarks: Points, side: int, depth: npt.NDArray[np.float32] | None = None
             ) -> tuple[Field | None, Points]:
        """The warp field for a `side` crop (None when nothing moves) and the landmarks where
        they land."""
        if self.settings.is_identity:
            return None, landmarks
        target = reshaped(landmarks, self.settings, depth)
        ring = _ring_points(landmarks, side)
        src = np.concatenate([landmarks[:, :2], ring])
        dst = np.concatenate([target, ring])
        field = warp_field((side, side), src, dst, self._mesh(landmarks, side))
        bulges = eye_bulges(target, self.settings.eye_scale, depth)
        bulge_field(field, bulges)
        moved = landmarks.copy()
        moved[:, :2] = target
        for bulge in bulges:
            near = np.linalg.norm(target - bulge.centre, axis=1) < bulge.reach()
            moved[near, :2] = bulge.destination_of(target[near].astype(np.float64))
        return field, moved

    def apply(self, crop: FrameBGR, landmarks: Points,
              depth: npt.NDArray[np.float32] | None = None) -> tuple[FrameBGR, Points]:
        """The reshaped crop and the landmarks where they now are."""
        field, moved = self.plan(landmarks, crop.shape[0], depth)
        if field is None:
            return crop, landmarks
        return remap(crop, field), moved


def remap(image: FrameBGR, field: Field) -> FrameBGR:
    """`image` resampled through a warp field of any resolution."""
    side = image.shape[0]
    full = scale_field(field, side)
    return cv2.remap(image, full[..., 0], full[..., 1], cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)
