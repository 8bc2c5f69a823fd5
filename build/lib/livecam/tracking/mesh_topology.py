"""Index sets of the MediaPipe face mesh, taken from MediaPipe itself rather than copied."""

from __future__ import annotations

from mediapipe.python.solutions import face_mesh_connections as _fmc


def _ordered_loop(edges: frozenset[tuple[int, int]]) -> tuple[int, ...]:
    """Walk a closed edge set (such as the face oval) into an ordered polygon."""
    nxt = {a: b for a, b in edges}
    start = min(nxt)
    loop = [start]
    while (node := nxt[loop[-1]]) != start and len(loop) <= len(nxt):
        loop.append(node)
    return tuple(loop)


TESSELATION_EDGES: tuple[tuple[int, int], ...] = tuple(
    sorted({(min(a, b), max(a, b)) for a, b in _fmc.FACEMESH_TESSELATION}))
IRIS_INDICES: tuple[int, ...] = tuple(sorted({i for e in _fmc.FACEMESH_IRISES for i in e}))
FACE_OVAL: tuple[int, ...] = _ordered_loop(_fmc.FACEMESH_FACE_OVAL)


def _triangles(edges: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int, int], ...]:
    """The mesh's triangles: every 3-cycle of its edge graph."""
    neighbours: dict[int, set[int]] = {}
    for a, b in edges:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    found = set()
    for a, b in edges:
        for c in neighbours[a] & neighbours[b]:
            found.add(tuple(sorted((a, b, c))))
    return tuple(sorted(found))  # type: ignore[arg-type]


TRIANGLES: tuple[tuple[int, int, int], ...] = _triangles(TESSELATION_EDGES)
