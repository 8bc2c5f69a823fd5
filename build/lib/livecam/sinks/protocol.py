"""The boundary every output implements, and what it is given per frame."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from livecam.frame import FrameBGR


@dataclass(frozen=True, slots=True)
class OutputFrame:
    """A processed frame with what an on-screen display shows about it.

    Attributes:
        image: The pixels to output.
        index: The source frame's index.
        capture_s: When the source frame was captured (monotonic seconds).
        fps: Frames delivered per second, recently.
        latency_ms: Capture-to-output latency of the previous frame.
        preset: Name of the running preset.
        effect_on: False when the effect is bypassed.
        faces: Faces tracked in this frame.
        privacy: The privacy card or a frozen frame is showing.
        resolution: The effect's face crop side, when it has one.
    """

    image: FrameBGR
    index: int
    capture_s: float
    fps: float = 0.0
    latency_ms: float = 0.0
    preset: str = ""
    effect_on: bool = True
    faces: int = 0
    privacy: bool = False
    resolution: int | None = None


@runtime_checkable
class Sink(Protocol):
    """Consumes processed frames on the output thread.

    `open` is called once with the stream's size before the first `write`; `write` must not
    block for long, since every sink shares the output thread. `stop_requested` lets a sink
    (a closed preview window) end the run. `close` may be called more than once.
    """

    name: str
    stop_requested: bool

    def open(self, width: int, height: int, fps: float) -> None: ...

    def write(self, frame: OutputFrame) -> None: ...

    def close(self) -> None: ...
