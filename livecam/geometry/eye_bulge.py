"""Bigger eyes as a smooth dense warp: each eye scaled about its centre, easing back to no
move a little over two eye radii away.

The eye's radius is measured along its own corner line (foreshortened on a turned head) and
across it (not foreshortened), so an eye turned away is enlarged in its own proportions and
never reaches over the nose. A radial scale that eases from `factor` down to 1 is monotonic
whatever the factor, so this warp cannot fold or tear, unlike moving mesh vertices.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from livecam.frame import Points
from livecam.tracking import mesh_regions as regions

FALLOFF = 2.2     # eye radii at which the enlargement has faded out
INVERSE_SAMPLES = 2049   # radii in the table that inverts the warp
CORNERS = ((33, 133), (362, 263))
Array = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class EyeBulge:
    """One eye's enlargement in image pixels."""

    centre: Array          # (x, y)
    axis: Array            # unit vector along the corner line
    radius_along: float    # pixels, half the projected corner distance
    radius_across: float   # pixels, half the corner distance in 3D
    factor: float

    def _scale(self, offset: Array) -> tuple[Array, Array]:
        u = offset @ self.axis
        v = offset @ np.array([-self.axis[1], self.axis[0]])
        rho = np.sqrt((u / self.radius_along) ** 2 + (v / self.radius_across) ** 2)
        return _scale_at(rho, self.factor), rho

    def source_of(self, points: Array) -> Array:
        """Where output `points` (N×2) sample the input."""
        offset = points - self.centre
        scale, _ = self._scale(offset)
        return self.centre + offset / scale[:, None]

    def destination_of(self, points: Array) -> Array:
        """Where input `points` (N×2) land (the inverse of `source_of`): the warp is radial
        in the eye's own metric, so it is inverted along one radius, from a table."""
        offset = points - self.centre
        _, rho_in = self._scale(offset)
        # past the table's end the warp has ended: FALLOFF, where the scale is 1
        rho_out = np.interp(rho_in, *_inverse_table(self.factor))
        return self.centre + offset * _scale_at(rho_out, self.factor)[:, None]

    def reach(self) -> float:
        return FALLOFF * max(self.radius_along, self.radius_across)


def _scale_at(rho: Array, factor: float) -> Array:
    """The scale at output radius `rho` (eye radii): `factor`, easing to 1 at FALLOFF."""
    t = np.clip((rho - 1.0) / (FALLOFF - 1.0), 0.0, 1.0)
    return 1.0 + (factor - 1.0) * (1.0 - t * t * (3.0 - 2.0 * t))


@functools.lru_cache(maxsize=16)
def _inverse_table(factor: float) -> tuple[Array, Array]:
    """Input radius → output radius (eye radii) out to where the warp ends; the input
    radius rho / scale(rho) rises monotonically, so it interpolates."""
    rho_out = np.linspace(0.0, FALLOFF, INVERSE_SAMPLES)
    return rho_out / _scale_at(rho_out, factor), rho_out


def eye_bulges(landmarks: Points, factor: float, depth: npt.NDArray[np.float32] | None = None
               ) -> list[EyeBulge]:
    """Both eyes' bulges for a mesh in pixels (`depth`: each point's z, for the 3D width)."""
    if factor == 1.0:
        return []
    pts = landmarks[:, :2].astype(np.float64)
    z = np.zeros(len(pts)) if depth is None else depth.astype(np.float64)
    bulges = []
    for (a, b), loop in zip(CORNERS, (regions.RIGHT_EYE_LOOP, regions.LEFT_EYE_LOOP)):
        line = pts[b] - pts[a]
        flat = float(np.linalg.norm(line))
        if flat < 1.0:
            continue
        full = float(np.sqrt(flat ** 2 + (z[b] - z[a]) ** 2))
        bulges.append(EyeBulge(pts[list(loop)].mean(axis=0), line / flat, flat / 2,
                               max(full / 2, flat / 2), factor))
    return bulges


def bulge_field(field: npt.NDArray[np.float32], bulges: list[EyeBulge]) -> None:
    """Compose the bulges into a warp field in place (the field is sampled where the
    enlarged eyes sample the input)."""
    h, w = field.shape[:2]
    for bulge in bulges:
        reach = bulge.reach()
        x0, y0 = (max(int(c - reach), 0) for c in bulge.centre)
        x1, y1 = min(int(bulge.centre[0] + reach) + 2, w), min(int(bulge.centre[1] + reach) + 2, h)
        if x1 <= x0 or y1 <= y0:
            continue
        ys, xs = np.mgrid[y0:y1, x0:x1]
        grid = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float64)
        src = bulge.source_of(grid)
        # bilinear lookup of the existing field at the sampled places
        sx = np.clip(src[:, 0], 0, w - 1.001)
        sy = np.clip(src[:, 1], 0, h - 1.001)
        xa, ya = sx.astype(np.int64), sy.astype(np.int64)
        fx, fy = (sx - xa)[:, None], (sy - ya)[:, None]
        top = field[ya, xa] * (1 - fx) + field[ya, xa + 1] * fx
        bottom = field[ya + 1, xa] * (1 - fx) + field[ya + 1, xa + 1] * fx
        field[y0:y1, x0:x1] = (top * (1 - fy) + bottom * fy).reshape(y1 - y0, x1 - x0, 2)
