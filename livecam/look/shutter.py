"""How long this camera's shutter is open, learnt from how much its image of a moving eye softens.

Drawn eyes must blur with the head's motion as the camera's image does, or they read as
stickers on a blurred face (or as smears on a crisp one). How much a camera blurs depends on
its exposure: a bright studio's short shutter hardly blurs a turning head, a dim room's
full-frame shutter blurs it by the whole frame's movement. Rather than assume one, each
moving frame is compared with a recent still one of the same eyes: the still eyes are
streaked along this frame's motion for a range of shutter shares, and the share whose streak
softens them along the motion (over across it, which a streak leaves alone) as much as the
camera did is read; the shutter is the median of the recent readings (a word or a frown also
changes the eyes' detail, now and then).
"""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np
import numpy.typing as npt

from livecam.frame import FrameBGR, Points

Float = npt.NDArray[np.float32]
SUB = 4               # sub-pixel bits for OpenCV's anti-aliased drawing
START = 0.35          # share of a frame the shutter is open, until the camera shows otherwise
SHARES = np.linspace(0.1, 1.0, 6)     # the shares tried (read between them)
PATCH_WIDTH = 128      # the eyes' box is read at this width (pixels)
STILL = 0.02          # eye widths moved in one frame below which the eyes are still
MOVING = 2.0          # streak pixels (at PATCH_WIDTH) from which a frame says something
READINGS = 15         # recent readings the shutter is the median of
STALE_FRAMES = 30     # a still view older than this (frames) is not compared with
EYE_BOX = (33, 133, 263, 362, 159, 145, 386, 374)   # corners and lid middles of both eyes


def _energies(grey: Float, along: npt.NDArray[np.float64]) -> tuple[float, float]:
    """Mean squared gradient along the unit vector `along`, and across it."""
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)[2:-2, 2:-2]
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)[2:-2, 2:-2]
    par = gx * along[0] + gy * along[1]
    perp = gy * along[0] - gx * along[1]
    return float(np.mean(par * par)), float(np.mean(perp * perp))


def _softening(before: tuple[float, float], after: tuple[float, float]) -> float:
    """How much of its gradients along the motion an image lost, over what it lost across
    it: a streak softens along its length only, while a turn, a frown or a change of focus
    soften both ways alike."""
    return (after[0] / max(before[0], 1e-6)) / max(after[1] / max(before[1], 1e-6), 1e-6)


def streak_kernel(streak: npt.NDArray[np.float64]) -> Float | None:
    """A normalised line kernel along `streak` (pixels), or None where it is under a pixel."""
    length = float(np.hypot(*streak))
    if length < 1.0:
        return None
    half = int(np.ceil(length / 2)) + 1
    kernel = np.zeros((2 * half + 1, 2 * half + 1), np.float32)
    ends = np.array([half, half]) + np.outer([-0.5, 0.5], streak)
    a, b = (tuple(int(round(v * (1 << SUB))) for v in end) for end in ends)
    cv2.line(kernel, a, b, 1.0, 1, cv2.LINE_AA, shift=SUB)
    return kernel / max(float(kernel.sum()), 1e-6)


class Shutter:
    """The camera's shutter share, learnt per stream from its frames (one face is enough)."""

    def __init__(self, start: float = START) -> None:
        self.share = start
        self._readings: deque[float] = deque(maxlen=READINGS)
        self._still: tuple[Float, int] | None = None   # a still view of the eyes, its frame

    def observe(self, image: FrameBGR, landmarks: Points, motion: npt.NDArray[np.float64],
                index: int) -> None:
        """Learn from one frame: `landmarks` in `image`'s pixels, `motion` how far the eyes
        moved in one source frame (pixels), `index` the frame's place in the stream."""
        pts = landmarks[list(EYE_BOX), :2].astype(np.float64)
        width = float(np.linalg.norm(pts[0] - pts[1]))
        if width < 6:
            return
        if min(np.linalg.norm(pts[4] - pts[5]), np.linalg.norm(pts[6] - pts[7])) < 0.2 * width:
            return   # a blink softens the eyes too: it is not the shutter
        pad = 0.25 * width
        x0, y0 = np.floor(pts.min(axis=0) - pad).astype(int)
        x1, y1 = np.ceil(pts.max(axis=0) + pad).astype(int)
        if x0 < 0 or y0 < 0 or x1 > image.shape[1] or y1 > image.shape[0]:
            return
        k = PATCH_WIDTH / (x1 - x0)
        size = (PATCH_WIDTH, max(int(round((y1 - y0) * k)), 8))
        grey = cv2.resize(cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY), size,
                          interpolation=cv2.INTER_AREA).astype(np.float32)
        travel = float(np.hypot(*motion))
        if travel < STILL * width:
            self._still = (grey, index)
            return
        streak = np.asarray(motion, np.float64) * k
        if (self._still is None or index - self._still[1] > STALE_FRAMES
                or float(np.hypot(*streak)) < MOVING):
            return
        still = self._still[0]
        if still.shape != grey.shape:   # the box's height moves by a pixel or two
            grey = cv2.resize(grey, still.shape[::-1], interpolation=cv2.INTER_AREA)
        self._readings.append(self._reading(still, grey, streak))
        if len(self._readings) >= 3:
            self.share = float(np.median(self._readings))

    @staticmethod
    def _reading(still: Float, moving: Float, streak: npt.NDArray[np.float64]) -> float:
        """The share whose streak softens `still` along the motion as the camera did."""
        along = streak / max(float(np.hypot(*streak)), 1e-9)
        before = _energies(still, along)
        seen = _softening(before, _energies(moving, along))
        ratios = []
        for share in SHARES:
            kernel = streak_kernel(streak * share)
            if kernel is None:   # under a pixel: nothing lost
                ratios.append(1.0)
                continue
            blurred = cv2.filter2D(still, -1, kernel, borderType=cv2.BORDER_REPLICATE)
            ratios.append(_softening(before, _energies(blurred, along)))
        # the ratio falls as the share grows (held so where a short streak rasterises
        # unevenly): the share where it meets what the camera showed
        falling = np.minimum.accumulate(np.asarray(ratios))
        return float(np.interp(-seen, -falling, SHARES))
