"""The boundary every face tracker implements."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from livecam.frame import Face, Frame


@runtime_checkable
class Tracker(Protocol):
    """Finds the faces in each frame of one video stream.

    Frames must arrive in capture order: trackers use the previous frame to follow faces and to
    smooth landmarks, so one tracker serves one stream.
    """

    def track(self, frame: Frame) -> list[Face]: ...

    def close(self) -> None: ...
