"""Discards frames: for benchmarks, where only the timing matters."""

from __future__ import annotations

from livecam.sinks.protocol import OutputFrame


class NullSink:
    """Counts frames and drops them."""

    name = "null"
    queue = 1

    def __init__(self) -> None:
        self.stop_requested = False
        self.frames = 0

    def open(self, width: int, height: int, fps: float) -> None:
        pass

    def write(self, frame: OutputFrame) -> None:
        self.frames += 1

    def close(self) -> None:
        pass
