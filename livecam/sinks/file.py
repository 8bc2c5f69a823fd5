"""The last frame as an image: filtering a still photo (video recordings: `recording.py`)."""

from __future__ import annotations

from pathlib import Path

import cv2

from livecam.errors import SinkError
from livecam.frame import FrameBGR
from livecam.sinks.naming import free_path
from livecam.sinks.protocol import OutputFrame


class ImageFileSink:
    """Keeps the newest frame and writes it on `close`: filtering a still photo."""

    queue = 1

    def __init__(self, path: str | Path, overwrite: bool = False) -> None:
        self.path = Path(path)
        self.overwrite = overwrite
        self.name = f"file:{self.path}"
        self.stop_requested = False
        self._last: FrameBGR | None = None

    def open(self, width: int, height: int, fps: float) -> None:
        if not self.path.parent.exists():
            raise SinkError(f"cannot write '{self.path}': folder {self.path.parent} does not "
                            "exist")
        self.path = free_path(self.path, self.overwrite)
        self.name = f"file:{self.path}"

    def write(self, frame: OutputFrame) -> None:
        self._last = frame.image

    def close(self) -> None:
        if self._last is None:
            return
        ok, data = cv2.imencode(self.path.suffix.lower(), self._last)
        if not ok:
            raise SinkError(f"cannot encode the frame as {self.path.suffix}")
        data.tofile(str(self.path))
        self._last = None
