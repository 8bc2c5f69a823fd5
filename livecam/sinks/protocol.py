"""The boundary every output implements, and the two kinds of media it is given: processed
frames and, for the sinks that take sound, audio blocks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

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
        audio_delay_ms: The delay the microphone passthrough applies, when there is one.
        fault: The last failure of the tracker or the effect, when there was one.
        remote: Where the models run when a server was set: the server, or "local (why)".
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
    audio_delay_ms: float | None = None
    fault: str | None = None
    remote: str | None = None


@dataclass(frozen=True, slots=True)
class AudioBlock:
    """A block of microphone samples, placed on the frames' clock.

    Attributes:
        samples: float32 samples in -1..1, one row per sample, one column per channel.
        rate: Samples per second.
        capture_s: When the block's first sample was captured (monotonic seconds).
        index: The block's number since the microphone opened; a gap means lost blocks.
    """

    samples: npt.NDArray[np.float32]
    rate: int
    capture_s: float
    index: int

    def mono(self) -> npt.NDArray[np.float32]:
        """The channels mixed to one."""
        mixed = self.samples.mean(axis=1) if self.samples.ndim == 2 else self.samples
        return mixed.astype(np.float32, copy=False)


@runtime_checkable
class Sink(Protocol):
    """Consumes processed frames on its own thread.

    `open`, `write` and `close` are called from one thread, the sink's own: a slow `write`
    delays only this sink. `open` is called once with the stream's size before the first
    `write`. `queue` is how many frames may wait for it: 1 keeps only the newest (a live
    output), more lets a recording catch up after a slow write; beyond it the oldest waiting
    frame is dropped and counted. `stop_requested` lets a sink (a closed preview window) end
    the run. `close` may be called more than once.
    """

    name: str
    stop_requested: bool
    queue: int

    def open(self, width: int, height: int, fps: float) -> None: ...

    def write(self, frame: OutputFrame) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class AudioSink(Sink, Protocol):
    """A sink that also takes sound; blocks arrive in order on the sink's thread."""

    def write_audio(self, block: AudioBlock) -> None: ...
