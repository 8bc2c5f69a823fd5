"""The camera image unchanged: the effect-off state and the latency baseline."""

from __future__ import annotations

from collections.abc import Sequence

from livecam.frame import Face, Frame, FrameBGR


class Passthrough:
    """Returns the captured image as it is."""

    name = "passthrough"

    def apply(self, frame: Frame, faces: Sequence[Face]) -> FrameBGR:
        return frame.image

    def close(self) -> None:
        pass
