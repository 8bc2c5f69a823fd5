"""Per-vertex values spread across a triangle mesh: a numba kernel and a plain reference.

Each output pixel inside a triangle gets the barycentric mix of its three vertices' values.
With source positions as the values this is a warp field for `cv2.remap` (the stylizer warps
at low resolution and applies the field at output resolution); with normals it is a normal map.
"""

from __future__ import annotations

from typing import Any

import cv2
import numba
import numpy as np
import numpy.typing as npt


Field = npt.NDArray[np.float32]      # H×W×C
Triangles = npt.NDArray[np.int32]   # T×3 vertex indices
Vertices = npt.NDArray[np.float32]  # V×2 pixel positions


@numba.njit(cache=True, nogil=True)
def _interpolate_kernel(dst_pts: npt.NDArray[Any], tris: npt.NDArray[Any],
                        values: npt.NDArray[Any], out: npt.NDArray[Any],
                        covered: npt.NDArray[Any]) -> None:
    h, w = out.shape[0], out.shape[1]
    channels = values.shape[1]
    for t in range(tris.shape[0]):
        i0, i1, i2 = tris[t, 0], tris[t, 1], tris[t, 2]
        x0, y0 = dst_pts[i0, 0], dst_pts[i0, 1]
        x1, y1 = dst_pts[i1, 0], dst_pts[i1, 1]
        x2, y2 = dst_pts[i2, 0], dst_pts[i2, 1]
        det = (y1 - y2) * (x0 - x2) + (x2 - x1) * (y0 - y2)
        if abs(det) < 1e-9:
            continue
        inv = 1.0 / det
        xmin = max(int(np.floor(min(x0, min(x1, x2)))), 0)
        xmax = min(int(np.ceil(max(x0, max(x1, x2)))), w - 1)
        ymin = max(int(np.floor(min(y0, min(y1, y2)))), 0)
        ymax = min(int(np.ceil(max(y0, max(y1, y2)))), h - 1)
        for y in range(ymin, ymax + 1):
            for x in range(xmin, xmax + 1):
                b0 = ((y1 - y2) * (x - x2) + (x2 - x1) * (y - y2)) * inv
                b1 = ((y2 - y0) * (x - x2) + (x0 - x2) * (y - y2)) * inv
                b2 = 1.0 - b0 - b1
                if b0 < -1e-4 or b1 < -1e-4 or b2 < -1e-4:
                    continue
                for c in range(channels):
                    out[y, x, c] = b0 * values[i0, c] + b1 * values[i1, c] + b2 * values[i2, c]
                covered[y, x] = 255


def interpolate(size: tuple[int, int], dst_pts: Vertices, triangles: Triangles,
                values: npt.NDArray[np.float32], fill: npt.NDArray[np.float32] | None = None
                ) -> tuple[Field, npt.NDArray[np.uint8]]:
    """Rasterise per-vertex `values` (V×C) over the triangles placed at `dst_pts`.

    Args:
        size: (height, width) of the output.
        dst_pts: Vertex positions in output pixels.
        triangles: Vertex index triples.
        values: One row of C values per vertex.
        fill: H×W×C values for pixels outside every triangle (zeros when None).

    Returns:
        The H×W×C field and a mask of the pixels the triangles covered.
    """
    h, w = size
    out = (np.zeros((h, w, values.shape[1]), np.float32) if fill is None
           else np.ascontiguousarray(fill, np.float32).copy())
    covered = np.zeros((h, w), np.uint8)
    _interpolate_kernel(dst_pts.astype(np.float64), triangles.astype(np.int64),
                        values.astype(np.float64), out, covered)
    return out, covered


def warm_up() -> None:
    """Load the kernel now: numba compiles it once into its cache, but each process still
    spends most of a second loading it on the first call, which would stall a frame."""
    interpolate((4, 4), np.array([[0, 0], [3, 0], [0, 3]], np.float32),
                np.array([[0, 1, 2]], np.int32), np.zeros((3, 2), np.float32))


def identity_field(size: tuple[int, int]) -> Field:
    """The field that maps every pixel to itself (x, y)."""
    h, w = size
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return np.dstack([xs, ys])


def warp_field(size: tuple[int, int], src_pts: Vertices, dst_pts: Vertices,
               triangles: Triangles) -> Field:
    """Where each output pixel samples the source so each `src_pts[i]` lands on `dst_pts[i]`
    (pixels outside the mesh sample themselves): a map for `cv2.remap`."""
    field, _ = interpolate(size, dst_pts, triangles, src_pts[:, :2].astype(np.float32),
                           fill=identity_field(size))
    return field


def scale_field(field: Field, side: int) -> Field:
    """A warp field computed at one resolution, resized for a `side`×`side` image (the
    positions scaled with it, pixel centres kept)."""
    h = field.shape[0]
    if h == side:
        return field
    k = side / h
    big = cv2.resize(field, (side, side), interpolation=cv2.INTER_LINEAR)
    return np.asarray((big + 0.5) * k - 0.5, np.float32)


def interpolate_reference(size: tuple[int, int], dst_pts: Vertices, triangles: Triangles,
                          values: npt.NDArray[np.float32]) -> Field:
    """The same rasterisation one pixel at a time with numpy: slow and obviously right."""
    h, w = size
    out = np.zeros((h, w, values.shape[1]), np.float32)
    ys, xs = np.mgrid[0:h, 0:w]
    for tri in triangles:
        (x0, y0), (x1, y1), (x2, y2) = dst_pts[tri, :2].astype(np.float64)
        det = (y1 - y2) * (x0 - x2) + (x2 - x1) * (y0 - y2)
        if abs(det) < 1e-9:
            continue
        b0 = ((y1 - y2) * (xs - x2) + (x2 - x1) * (ys - y2)) / det
        b1 = ((y2 - y0) * (xs - x2) + (x0 - x2) * (ys - y2)) / det
        b2 = 1.0 - b0 - b1
        inside = (b0 >= -1e-4) & (b1 >= -1e-4) & (b2 >= -1e-4)
        mix = (b0[..., None] * values[tri[0]] + b1[..., None] * values[tri[1]]
               + b2[..., None] * values[tri[2]])
        out[inside] = mix[inside]
    return out
