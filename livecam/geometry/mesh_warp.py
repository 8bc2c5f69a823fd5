"""Dense piecewise-affine warps over triangle meshes: a numba kernel and a plain reference.

Each output pixel inside a destination triangle is sampled (bilinearly) from the matching
place in the source triangle. The stylizer's shape edits and the face swap both use it.
"""

from __future__ import annotations

from typing import Any

import cv2
import numba
import numpy as np
import numpy.typing as npt

from livecam.frame import FrameBGR

Triangles = npt.NDArray[np.int32]   # T×3 vertex indices
Vertices = npt.NDArray[np.float32]  # V×2 pixel positions


@numba.njit(cache=True, nogil=True)
def _warp_kernel(src: npt.NDArray[Any], src_pts: npt.NDArray[Any], dst_pts: npt.NDArray[Any],
                 tris: npt.NDArray[Any], out: npt.NDArray[Any], covered: npt.NDArray[Any]) -> None:
    h, w = out.shape[0], out.shape[1]
    sh, sw = src.shape[0], src.shape[1]
    channels = src.shape[2]
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
                sx = b0 * src_pts[i0, 0] + b1 * src_pts[i1, 0] + b2 * src_pts[i2, 0]
                sy = b0 * src_pts[i0, 1] + b1 * src_pts[i1, 1] + b2 * src_pts[i2, 1]
                sx = min(max(sx, 0.0), sw - 1.0)
                sy = min(max(sy, 0.0), sh - 1.0)
                xa = int(sx)
                ya = int(sy)
                xb = min(xa + 1, sw - 1)
                yb = min(ya + 1, sh - 1)
                fx = sx - xa
                fy = sy - ya
                for c in range(channels):
                    top = src[ya, xa, c] * (1 - fx) + src[ya, xb, c] * fx
                    bottom = src[yb, xa, c] * (1 - fx) + src[yb, xb, c] * fx
                    out[y, x, c] = min(max(top * (1 - fy) + bottom * fy + 0.5, 0.0), 255.0)
                covered[y, x] = 255


def warp_mesh(src: FrameBGR, src_pts: Vertices, dst_pts: Vertices, triangles: Triangles,
              out: FrameBGR | None = None) -> tuple[FrameBGR, npt.NDArray[np.uint8]]:
    """Move the image so each `src_pts[i]` lands on `dst_pts[i]`.

    Args:
        src: Image to sample.
        src_pts: Vertex positions in `src`.
        dst_pts: Where they should be in the output.
        triangles: Vertex index triples.
        out: Image to draw into (a copy of `src` when None); pixels outside every
            destination triangle keep their value.

    Returns:
        The warped image and a mask of the pixels the triangles covered.
    """
    result = src.copy() if out is None else out
    covered = np.zeros(result.shape[:2], np.uint8)
    _warp_kernel(src, src_pts.astype(np.float64), dst_pts.astype(np.float64),
                 triangles.astype(np.int64), result, covered)
    return result, covered


def warp_mesh_reference(src: FrameBGR, src_pts: Vertices, dst_pts: Vertices,
                        triangles: Triangles) -> FrameBGR:
    """The same warp one triangle at a time with OpenCV: slow and obviously right."""
    out = src.copy()
    for tri in triangles:
        s = src_pts[tri].astype(np.float32)
        d = dst_pts[tri].astype(np.float32)
        matrix = cv2.getAffineTransform(d, s)
        warped = cv2.warpAffine(src, matrix, (src.shape[1], src.shape[0]),
                                flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                borderMode=cv2.BORDER_REPLICATE)
        mask = np.zeros(src.shape[:2], np.uint8)
        cv2.fillConvexPoly(mask, np.round(d).astype(np.int32), 1)
        out[mask > 0] = warped[mask > 0]
    return out
