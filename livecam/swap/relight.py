"""The enrolled photo's light taken off its face and the room's put on, through the 3D mesh.

Each face's light is fitted to its own skin: the brightness at every skin vertex of the mesh
against that vertex's normal, as second-order spherical harmonics (the smooth light of a room
on a convex, evenly coloured surface). The worn face is multiplied, vertex by vertex, by the
room's light over the photo's, each evaluated on its own face's normals. Unlike a blurred
brightness ratio this moves the shading of the nose, cheekbones and eye sockets with the light's
direction, and takes none of the streamer's features along (benchmarks/README.md, Face swap).
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from livecam.frame import FrameBGR, Points
from livecam.geometry.mesh_raster import interpolate
from livecam.geometry.normals import vertex_normals
from livecam.look.shading import GAIN_ONE
from livecam.tracking import mesh_regions as regions

Light = npt.NDArray[np.float64]   # per mesh vertex, 1 = the skin's mean

_NOT_SKIN = (set(regions.LEFT_EYE) | set(regions.RIGHT_EYE) | set(regions.LEFT_BROW)
             | set(regions.RIGHT_BROW) | set(regions.LIPS))
SKIN_VERTICES = np.asarray(sorted(set(regions.SKIN_TRIANGLES.ravel().tolist()) - _NOT_SKIN),
                           np.int64)
RIDGE = 1e-2          # holds the fit's higher orders back where few normals point that way
OUTLIER_SIGMAS = 2.5  # a vertex this far off the first fit (hair, stubble, a highlight) is left out
SAMPLE_BLUR = 0.02    # brightness is read off a blur this wide (crop sides): light, not pores
WORK_SIDE = 64        # the gain is smooth: it is spread over the mesh on a small grid
GAIN_RANGE = (0.7, 1.45)


def _basis(normals: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    x, y, z = normals.T
    return np.stack([np.ones_like(x), x, y, z, x * y, x * z, y * z, x * x - y * y,
                     3 * z * z - 1], axis=1)


def _brightness(image: FrameBGR, points: Points) -> npt.NDArray[np.float32]:
    """The blurred brightness of `image` at each of `points`, read off a WORK_SIDE copy."""
    k = WORK_SIDE / image.shape[0]
    small = cv2.resize(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), (WORK_SIDE, WORK_SIDE),
                       interpolation=cv2.INTER_AREA).astype(np.float32)
    grey = cv2.GaussianBlur(small, (0, 0), max(WORK_SIDE * SAMPLE_BLUR, 0.5))
    at = np.clip((points[:, :2] + 0.5) * k - 0.5, 0, WORK_SIDE - 1).astype(np.float32)
    return cv2.remap(grey, at[None, :, 0], at[None, :, 1], cv2.INTER_LINEAR)[0]


def _fit(normals: npt.NDArray[np.float64], lum: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Spherical-harmonic light through the skin vertices' brightness (scaled to its mean)."""
    lum = lum / max(float(lum.mean()), 1.0)
    basis = _basis(normals)
    # ridge regression as one least-squares problem: the basis over rows that pull each
    # coefficient but the mean toward zero
    ridge = np.sqrt(RIDGE * len(lum)) * np.eye(basis.shape[1])[1:]
    zeros = np.zeros(len(ridge))
    keep = np.ones(len(lum), bool)
    for _ in range(2):         # fitted once, then again without the vertices it missed by far
        coefficients = np.linalg.lstsq(np.vstack([basis[keep], ridge]),
                                       np.concatenate([lum[keep], zeros]), rcond=None)[0]
        residual = lum - basis @ coefficients
        keep = np.abs(residual) < OUTLIER_SIGMAS * max(float(residual[keep].std()), 1e-6)
    return coefficients


def photo_light(image: FrameBGR, points: Points) -> Light:
    """The light on the face in `image` (a photo or a camera crop), fitted to its skin and
    evaluated at every vertex of its mesh `points` (N×3, crop pixels and depth in the same
    pixels), scaled to the skin's mean."""
    normals = vertex_normals(points.astype(np.float64))
    lum = _brightness(image, points)[SKIN_VERTICES].astype(np.float64)
    light = _basis(normals) @ _fit(normals[SKIN_VERTICES], lum)
    return light / max(float(light[SKIN_VERTICES].mean()), 1e-6)


def relight(worn: FrameBGR, at: Points, photo: Light, target: FrameBGR, target_points: Points,
            amount: float = 1.0) -> FrameBGR:
    """`worn` (the enrolled face warped onto the mesh `at`, crop pixels) with its photo's light
    swapped for the target's.

    Args:
        worn: The warped enrolled face, in the target crop's pixels.
        at: Where `worn`'s vertices lie (N×2).
        photo: The enrolled photo's light at each vertex (`photo_light`).
        target: The target crop; `target_points` its mesh (N×3).
        amount: 0 keeps the photo's light, 1 takes the room's fully.
    """
    if amount <= 0.0:
        return worn
    room = photo_light(target, target_points)
    ratio = np.clip(room / np.maximum(photo, 1e-3), *GAIN_RANGE) ** amount
    return _apply(worn, at, ratio.astype(np.float32))


def _apply(worn: FrameBGR, at: Points, ratio: npt.NDArray[np.float32]) -> FrameBGR:
    """`worn` times the per-vertex `ratio` spread over the skin triangles (1 off the mesh)."""
    side = worn.shape[0]
    k = WORK_SIDE / side
    spread, covered = interpolate((WORK_SIDE, WORK_SIDE),
                                  ((at[:, :2] + 0.5) * k - 0.5).astype(np.float32),
                                  regions.SKIN_TRIANGLES, ratio[:, None])
    inside = (covered > 0).astype(np.float32)
    # eyes and mouth are holes in the skin triangles: filled from the skin around them
    total = cv2.GaussianBlur(spread.reshape(WORK_SIDE, WORK_SIDE) * inside, (0, 0), 1.0)
    weight = cv2.GaussianBlur(inside, (0, 0), 1.0)
    reach = np.clip(weight * 2.0, 0.0, 1.0)
    gain = np.where(weight > 1e-3, total / np.maximum(weight, 1e-3), 1.0) * reach + (1 - reach)
    # 8-bit gain (1 = GAIN_ONE) and saturating 8-bit arithmetic at the crop's resolution
    gain8 = cv2.resize(np.clip(gain * GAIN_ONE + 0.5, 0, 255).astype(np.uint8), (side, side),
                       interpolation=cv2.INTER_LINEAR)
    return cv2.multiply(worn, cv2.merge([gain8] * 3), scale=1.0 / GAIN_ONE)
