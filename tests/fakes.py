"""Small stand-ins the frame-loop tests share: a source and a tracker that find no one."""

from __future__ import annotations

import time

import numpy as np


class FakeSource:
    """A source that never loses its device; subclasses say what `read` returns."""

    name, fps = "fake", 200.0

    def reopen(self) -> None:
        pass

    def close(self) -> None:
        pass


class CountingSource(FakeSource):
    """`frames` frames at `fps`, each one's number (from 1) in its pixels."""

    def __init__(self, frames: int, fps: float = 200.0) -> None:
        self.frames, self.fps, self.reads = frames, fps, 0

    def read(self):
        self.reads += 1
        if self.reads > self.frames:
            return None
        time.sleep(1 / self.fps)
        return np.full((24, 32, 3), self.reads % 250, np.uint8)


class NoFaces:
    def track(self, frame):
        return []

    def close(self):
        pass
