"""Named landmark groups of the MediaPipe mesh (eyes, lips, cheeks), from MediaPipe's own sets."""

from __future__ import annotations

import numpy as np
from mediapipe.python.solutions import face_mesh_connections as _fmc

from livecam.tracking.mesh_topology import TRIANGLES


def _points(edges: frozenset[tuple[int, int]]) -> tuple[int, ...]:
    return tuple(sorted({i for edge in edges for i in edge}))


RIGHT_EYE: tuple[int, ...] = _points(_fmc.FACEMESH_RIGHT_EYE)
LEFT_EYE: tuple[int, ...] = _points(_fmc.FACEMESH_LEFT_EYE)
RIGHT_BROW: tuple[int, ...] = _points(_fmc.FACEMESH_RIGHT_EYEBROW)
LEFT_BROW: tuple[int, ...] = _points(_fmc.FACEMESH_LEFT_EYEBROW)
LIPS: tuple[int, ...] = _points(_fmc.FACEMESH_LIPS)
NOSE: tuple[int, ...] = _points(_fmc.FACEMESH_NOSE)
RIGHT_IRIS_CENTER, LEFT_IRIS_CENTER = 468, 473
MESH_POINTS = 478   # with the irises
RIGHT_IRIS_EDGE, LEFT_IRIS_EDGE = 469, 474
RIGHT_CHEEK, LEFT_CHEEK = 205, 425
# ordered loops (MediaPipe's canonical indices) for filling polygons
INNER_LIPS: tuple[int, ...] = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402,
                               317, 14, 87, 178, 88, 95)
OUTER_LIPS: tuple[int, ...] = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405,
                               314, 17, 84, 181, 91, 146)
RIGHT_EYE_LOOP: tuple[int, ...] = (33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153,
                                   145, 144, 163, 7)
LEFT_EYE_LOOP: tuple[int, ...] = (362, 398, 384, 385, 386, 387, 388, 466, 263, 249, 390, 373,
                                  374, 380, 381, 382)


def fan(loop: tuple[int, ...]) -> list[tuple[int, int, int]]:
    """Triangles filling an ordered loop of landmarks (a fan from its first point)."""
    return [(loop[0], loop[i], loop[i + 1]) for i in range(1, len(loop) - 1)]


# the mesh's own triangles leave the eyes and the mouth open; warps that move the eyes or
# the mouth must carry what lies inside them too
SKIN_TRIANGLES = np.asarray(TRIANGLES, np.int32)   # the mesh's own: eyes and mouth left open
FILLED_TRIANGLES = np.asarray(list(TRIANGLES) + fan(RIGHT_EYE_LOOP) + fan(LEFT_EYE_LOOP)
                              + fan(INNER_LIPS), np.int32)
