"""Dense piecewise-affine warps over triangle meshes, and a plain reference.

Each output pixel inside a destination triangle is sampled (bilinearly) from the matching
place in the source triangle: the numba rasteriser of `mesh_raster` finds the place, OpenCV's
remap samples it. The face swap warps the enrolled face with it.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from livecam.frame import FrameBGR
from livecam.geometry.mesh_raster import Triangles, Vertices, interpolate



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
    size = (int(result.shape[0]), int(result.shape[1]))
    field, covered = interpolate(size, dst_pts, triangles,
                                 src_pts[:, :2].astype(np.float32))
    sampled = cv2.remap(src, field, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    cv2.copyTo(sampled, covered, result)
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
