"""Normals of the face mesh, which the stylizers' shading and the swap's relighting both
light."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from livecam.tracking import mesh_regions as regions


def vertex_normals(points: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Unit normals (view space, z toward the viewer) at each mesh vertex from 3D points in
    MediaPipe's axes (x right, y down, z away from the camera)."""
    a, b, c = (points[regions.SKIN_TRIANGLES[:, k]] for k in range(3))
    face = np.cross(b - a, c - a)
    # the mesh's triangles are not wound alike: turn each to face the camera (MediaPipe's z
    # points away from it)
    face[face[:, 2] > 0] *= -1.0
    corners = regions.SKIN_TRIANGLES.ravel()   # each face's normal summed at its corners
    normals = np.stack([np.bincount(corners, np.repeat(face[:, axis], 3), len(points))
                        for axis in range(3)], axis=1)
    normals[:, 2] = -normals[:, 2]
    return normals / np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-9)
