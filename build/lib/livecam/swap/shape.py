"""Identity lives in shape too: the target's mesh moved toward the source's proportions.

Both meshes are in aligned-crop pixels (eyes and mouth on the same template), so their
difference on the identity points (face outline and nose) is mostly face shape. That
difference is spread smoothly over the whole mesh and added, so the target keeps its own
expression (the lips, lids and brows move with it, they are not replaced); below the mouth
only the width changes, or an open jaw would be closed. It fades as the head turns, where
the frontal difference no longer applies.
"""

from __future__ import annotations

import numpy as np

from livecam.frame import HeadPose, Points
from livecam.tracking.mesh_regions import NOSE
from livecam.tracking.mesh_topology import FACE_OVAL

SHAPE_POINTS = np.asarray(sorted(set(FACE_OVAL) | set(NOSE)), np.int64)
FADE_DEG = 40.0   # no shape transfer at this yaw or beyond


class ShapeTransfer:
    """Moves target meshes toward one source face's shape.

    The smoothing weights depend only on where points sit in the aligned crop, which is
    nearly the same for every face, so they are computed once from the source mesh.
    """

    def __init__(self, source: Points, side: int) -> None:
        self.source = source[:, :2].astype(np.float64)
        s = self.source
        sigma = side * 0.12
        d2 = ((s[:, None, :] - s[None, SHAPE_POINTS, :]) ** 2).sum(-1)
        weights = np.exp(-d2 / (2 * sigma * sigma))
        self._weights = weights / (weights.sum(1, keepdims=True) + 1e-9)

    def apply(self, target: Points, pose: HeadPose, strength: float) -> Points:
        """`target` (N×2 or N×3, crop pixels) moved toward the source's identity shape."""
        t = target[:, :2].astype(np.float64)
        turn = max(0.0, 1.0 - abs(pose.yaw_deg) / FADE_DEG) * max(
            0.0, 1.0 - abs(pose.pitch_deg) / FADE_DEG)
        if strength <= 0.0 or turn <= 0.0:
            return t.astype(np.float32)
        delta = (self.source[SHAPE_POINTS] - t[SHAPE_POINTS]) * strength * turn
        below = t[SHAPE_POINTS, 1] > t[[13, 14], 1].mean()
        delta[below, 1] = 0.0                       # width only under the mouth
        return (t + self._weights @ delta).astype(np.float32)
