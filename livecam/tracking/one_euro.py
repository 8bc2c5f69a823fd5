"""The One Euro filter (Casiez et al., CHI 2012) over whole landmark arrays.

Low cutoff when the face is still (no jitter), rising with speed (no lag on fast turns).
Speed is measured in face sizes per second so one setting suits near and far faces.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float32]


def _alpha(cutoff_hz: npt.NDArray[np.float32] | float, dt_s: float) -> npt.NDArray[np.float32]:
    tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff_hz, dtype=np.float32))
    return np.asarray(1.0 / (1.0 + tau / dt_s), dtype=np.float32)


class OneEuroFilter:
    """Smooths an N×D array of points sampled at irregular times.

    Args:
        min_cutoff_hz: Cutoff frequency at rest.
        beta: Cutoff increase per unit of speed (face sizes per second).
        d_cutoff_hz: Cutoff for the speed estimate itself.
        shared_speed: Drive every point's cutoff by the median point speed: one clean estimate
            of how fast the face moves, so noise on single points does not open the filter.
        own_speed: Points whose cutoff also follows their own speed (eyelids, irises, lips:
            a blink or a word moves them alone, and the median would hold them back).
    """

    def __init__(self, min_cutoff_hz: float = 0.5, beta: float = 20.0,
                 d_cutoff_hz: float = 1.0, shared_speed: bool = True,
                 own_speed: Sequence[int] = ()) -> None:
        self.min_cutoff_hz = min_cutoff_hz
        self.beta = beta
        self.d_cutoff_hz = d_cutoff_hz
        self.shared_speed = shared_speed
        self.own_speed = np.asarray(own_speed, np.int64)
        self._x: Array | None = None
        self._dx: Array | None = None
        self._t_s = 0.0

    def __call__(self, points: Array, t_s: float, scale: float = 1.0) -> Array:
        """Filter `points` taken at time `t_s`; `scale` is the face size in the points' units."""
        x = points.astype(np.float32)
        if self._x is None or self._dx is None or t_s <= self._t_s:
            self._x, self._dx, self._t_s = x, np.zeros_like(x), t_s
            return x.copy()
        dt_s = t_s - self._t_s
        dx = (x - self._x) / dt_s
        self._dx += _alpha(self.d_cutoff_hz, dt_s) * (dx - self._dx)
        speed = np.sqrt(np.sum(self._dx[:, :2] ** 2, axis=1, keepdims=True)) / max(scale, 1e-6)
        if self.shared_speed:
            shared = np.full_like(speed, float(np.median(speed)))
            if self.own_speed.size:
                own = self.own_speed[self.own_speed < len(speed)]
                shared[own] = np.maximum(shared[own], speed[own])
            cutoff: npt.NDArray[np.float32] | float = self.min_cutoff_hz + self.beta * shared
        else:
            cutoff = self.min_cutoff_hz + self.beta * speed
        self._x = self._x + _alpha(cutoff, dt_s) * (x - self._x)
        self._t_s = t_s
        return self._x.copy()
