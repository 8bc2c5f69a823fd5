"""Named landmark groups of the MediaPipe mesh (eyes, lips, cheeks), from MediaPipe's own sets."""

from __future__ import annotations

from mediapipe.python.solutions import face_mesh_connections as _fmc


def _points(edges: frozenset[tuple[int, int]]) -> tuple[int, ...]:
    return tuple(sorted({i for edge in edges for i in edge}))


RIGHT_EYE: tuple[int, ...] = _points(_fmc.FACEMESH_RIGHT_EYE)
LEFT_EYE: tuple[int, ...] = _points(_fmc.FACEMESH_LEFT_EYE)
RIGHT_BROW: tuple[int, ...] = _points(_fmc.FACEMESH_RIGHT_EYEBROW)
LEFT_BROW: tuple[int, ...] = _points(_fmc.FACEMESH_LEFT_EYEBROW)
LIPS: tuple[int, ...] = _points(_fmc.FACEMESH_LIPS)
NOSE: tuple[int, ...] = _points(_fmc.FACEMESH_NOSE)
RIGHT_IRIS_CENTER, LEFT_IRIS_CENTER = 468, 473
RIGHT_IRIS_EDGE, LEFT_IRIS_EDGE = 469, 474
RIGHT_CHEEK, LEFT_CHEEK = 205, 425
