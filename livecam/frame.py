"""The values that travel through the frame loop: frames, faces and their aliases."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FrameBGR = npt.NDArray[np.uint8]
"""An H×W×3 uint8 image in OpenCV's BGR order."""

Points = npt.NDArray[np.float32]
"""An N×2 (or N×3) float32 array of pixel coordinates."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One captured image and when it was captured.

    Attributes:
        image: The pixels; never modified after capture.
        index: Position in the source's stream, counting from 0.
        capture_s: Monotonic clock reading when the frame was read from the source.
        repeated: True when the source was lost and this is the last good frame sent again.
    """

    image: FrameBGR
    index: int
    capture_s: float
    repeated: bool = False

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


@dataclass(frozen=True, slots=True)
class HeadPose:
    """Head rotation in degrees: yaw turns left/right, pitch nods, roll tilts."""

    yaw_deg: float
    pitch_deg: float
    roll_deg: float


@dataclass(frozen=True, slots=True)
class Face:
    """One tracked face in one frame.

    Attributes:
        face_id: Stable across frames while the face stays in view.
        landmarks: 478×3 MediaPipe mesh points; x and y in pixels, z in pixels relative to the face.
        box: (x0, y0, x1, y1) in pixels, the landmarks' bounding box.
        pose: Head pose estimated from the landmarks.
        score: Tracking confidence in [0, 1].
    """

    face_id: int
    landmarks: Points
    box: tuple[float, float, float, float]
    pose: HeadPose
    score: float = 1.0

    @property
    def size_px(self) -> float:
        """The face's scale in pixels (`box_size` of its box)."""
        return box_size(self.box)


def box_size(box: tuple[float, float, float, float]) -> float:
    """Geometric mean of a box's sides (x0, y0, x1, y1): a face's scale in pixels."""
    x0, y0, x1, y1 = box
    return float(np.sqrt(max(x1 - x0, 1.0) * max(y1 - y0, 1.0)))


@dataclass(slots=True)
class StageTimes:
    """Milliseconds spent in each stage for one frame; filled in as the frame moves on."""

    values_ms: dict[str, float] = field(default_factory=dict)

    def add(self, stage: str, ms: float) -> None:
        self.values_ms[stage] = self.values_ms.get(stage, 0.0) + ms
