"""Identity lives in shape too: the target's mesh moved toward the source's proportions, in 3D.

The enrolled mesh is fitted to the streamer's in 3D (rotation, scale and shift, on points an
expression hardly moves: the upper face outline, the nose, the eye corners), so it stands in
the streamer's pose however the head is turned. Its difference from the streamer's mesh on
the identity points (face outline, nose, eye corners) is face shape, not pose; it is spread
smoothly over the whole mesh and added, so the streamer keeps their own expression (lids and
brows move with it, they are not replaced). The lips stay on the streamer's own lip line,
where what is said must show; below the mouth only the width follows the source, or an open
jaw would be closed.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from livecam.frame import Points
from livecam.geometry.face_shape import head_frame
from livecam.tracking.mesh_regions import LIPS, NOSE
from livecam.tracking.mesh_topology import FACE_OVAL

EYE_CORNERS = (33, 133, 362, 263)
SHAPE_POINTS = np.asarray(sorted(set(FACE_OVAL) | set(NOSE) | set(EYE_CORNERS)), np.int64)
MOUTH_LINE = (13, 14)
SPREAD = 0.08        # how far an identity point's difference reaches, in crop sides
SMOOTHING = 0.05     # how loosely the interpolation holds to each identity point
LIP_PIN = 0.06        # how far from the lips the shape move is held back, in crop sides


def fit_similarity_3d(src: npt.NDArray[np.float64], dst: npt.NDArray[np.float64]
                      ) -> tuple[float, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Scale, rotation and shift taking `src` (N×3) onto `dst` by least squares (Umeyama,
    no reflection): dst ≈ scale · src @ rot.T + shift."""
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    u, sig, vt = np.linalg.svd(d.T @ s / len(src))
    sign = np.diag([1.0, 1.0, float(np.sign(np.linalg.det(u @ vt)))])
    rot = u @ sign @ vt
    scale = float(np.trace(np.diag(sig) @ sign) / max(s.var(0).sum(), 1e-12))
    return scale, rot, mu_d - scale * rot @ mu_s


class ShapeTransfer:
    """Moves target meshes toward one source face's shape.

    The smoothing weights depend only on where points sit on the face, so they are computed
    once from the source mesh.
    """

    def __init__(self, source: Points, side: int) -> None:
        self.source = np.zeros((len(source), 3), np.float64)
        self.source[:, :source.shape[1]] = source[:, :3]
        s = self.source[:, :2]
        # a Gaussian radial-basis interpolation: each identity point gets its whole
        # difference, and the points between them a smooth blend of their neighbours'
        sigma = side * SPREAD
        control = s[SHAPE_POINTS]

        def kernel(a: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
            return np.exp(-((a[:, None, :] - control[None]) ** 2).sum(-1) / (2 * sigma ** 2))

        solve = np.linalg.inv(kernel(control) + SMOOTHING * np.eye(len(control)))
        self._weights = kernel(s) @ solve
        # the lips stay on the streamer's own lip line (what they say must line up), and
        # what lies near them moves less, so no crease forms there
        lips = s[list(LIPS)]
        near = ((s[:, None, :] - lips[None]) ** 2).sum(-1).min(1)
        self._free = (1.0 - np.exp(-near / (2 * (side * LIP_PIN) ** 2)))[:, None]
        mouth_y = float(s[list(MOUTH_LINE), 1].mean())
        oval = np.isin(SHAPE_POINTS, FACE_OVAL)
        self._below = oval & (s[SHAPE_POINTS, 1] > mouth_y)
        self._fit = SHAPE_POINTS[~self._below]   # the jaw opens: not fitted on

    def apply(self, target: Points, strength: float) -> Points:
        """`target` (N×3: crop pixels and depth in the same pixels; N×2 is taken as flat)
        moved toward the source's identity shape, as N×2 crop pixels."""
        t = np.zeros((len(target), 3), np.float64)
        t[:, :target.shape[1]] = target[:, :3]
        if strength <= 0.0:
            return t[:, :2].astype(np.float32)
        if target.shape[1] < 3:   # no depth: the source flattened alike
            source = self.source.copy()
            source[:, 2] = 0.0
        else:
            source = self.source
        scale, rot, shift = fit_similarity_3d(source[self._fit], t[self._fit])
        fitted = scale * source[SHAPE_POINTS] @ rot.T + shift
        delta = (fitted - t[SHAPE_POINTS]) * strength
        axes = head_frame(t)                     # the head's own right, down and forward
        local = delta @ axes.T
        local[self._below, 1] = 0.0              # width only under the mouth
        local[:, 2] = 0.0
        delta = local @ axes
        return (t[:, :2] + self._free * (self._weights @ delta[:, :2])).astype(np.float32)
