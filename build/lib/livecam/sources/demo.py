"""The built-in demo: a public-domain portrait with smooth synthetic head motion.

It needs no camera and no downloaded data, so `livecam run --source demo` works on any machine.
The photo is NASA's portrait of astronaut Eileen Collins (public domain), as shipped by
scikit-image.
"""

from __future__ import annotations

import math
from importlib import resources

import cv2
import numpy as np
import numpy.typing as npt

from livecam.clock import Clock, MonotonicClock
from livecam.frame import FrameBGR
from livecam.sources.pacing import Pacer


def _load_portrait() -> FrameBGR:
    data = resources.files("livecam.assets").joinpath("demo_face.jpg").read_bytes()
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, "livecam/assets/demo_face.jpg is missing from the install"
    return image


class DemoSource:
    """Renders the portrait moving as a head would: turns, nods, drifts and leans in.

    Args:
        width: Frame width in pixels.
        height: Frame height in pixels.
        fps: Frames per second in live mode; also sets the motion's time base.
        realtime: Pace frames at `fps`; False renders as fast as asked.
    """

    def __init__(self, width: int = 1280, height: int = 720, fps: float = 30.0,
                 realtime: bool = True, clock: Clock | None = None) -> None:
        self.name = "demo"
        self.fps = fps
        self.width, self.height = width, height
        portrait = _load_portrait()[15:315, 115:415]  # head and shoulders
        side = int(min(width, height) * 0.95)
        self._patch = cv2.resize(portrait, (side, side), interpolation=cv2.INTER_AREA)
        backdrop = cv2.resize(portrait, (width, height), interpolation=cv2.INTER_AREA)
        self._background = cv2.GaussianBlur(backdrop, (0, 0), 25)
        alpha = np.zeros((side, side), np.float32)
        cv2.ellipse(alpha, (side // 2, side // 2), (int(side * 0.44), int(side * 0.47)), 0, 0,
                    360, 1.0, -1)
        self._alpha = cv2.GaussianBlur(alpha, (0, 0), side * 0.04)
        self._index = 0
        self._pacer = Pacer(fps, clock or MonotonicClock(), realtime)

    def _transform(self, t_s: float) -> npt.NDArray[np.float64]:
        side = self._patch.shape[0]
        angle_deg = 7.0 * math.sin(2 * math.pi * t_s / 5.3)
        scale = 1.0 + 0.06 * math.sin(2 * math.pi * t_s / 7.1)
        dx = 0.08 * self.width * math.sin(2 * math.pi * t_s / 6.2)
        dy = 0.03 * self.height * math.sin(2 * math.pi * t_s / 4.1 + 1.0)
        matrix = cv2.getRotationMatrix2D((side / 2, side / 2), angle_deg, scale)
        matrix[0, 2] += self.width / 2 - side / 2 + dx
        matrix[1, 2] += self.height / 2 - side / 2 + dy
        return matrix

    def render(self, t_s: float) -> FrameBGR:
        """The demo frame at time `t_s` seconds."""
        matrix = self._transform(t_s)
        size = (self.width, self.height)
        patch = cv2.warpAffine(self._patch, matrix, size, flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)
        alpha = cv2.warpAffine(self._alpha, matrix, size, flags=cv2.INTER_LINEAR)
        return cv2.blendLinear(patch, self._background, alpha, 1.0 - alpha)

    def read(self) -> FrameBGR | None:
        self._pacer.wait()
        image = self.render(self._index / self.fps)
        self._index += 1
        return image

    def reopen(self) -> None:
        self._pacer.reset()

    def close(self) -> None:
        pass
