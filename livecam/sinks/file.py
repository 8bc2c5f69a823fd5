"""Recordings: an MP4 (or AVI/MKV) video, or the last frame as an image."""

from __future__ import annotations

from pathlib import Path

import cv2

from livecam.errors import SinkError
from livecam.frame import FrameBGR
from livecam.sinks.protocol import OutputFrame
from livecam.sources.image import IMAGE_SUFFIXES

RECORDING_QUEUE = 30   # frames a recording may fall behind (a second at 30 fps) before dropping
_FOURCC = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".mkv": "mp4v"}


def _fit(image: FrameBGR, width: int, height: int) -> FrameBGR:
    if image.shape[1] == width and image.shape[0] == height:
        return image
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


class VideoFileSink:
    """Writes every delivered frame to a video file, finalised on `close` so it plays."""

    queue = RECORDING_QUEUE

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = f"file:{self.path}"
        self.stop_requested = False
        suffix = self.path.suffix.lower()
        if suffix not in _FOURCC:
            raise SinkError(f"cannot record to '{self.path}': use a .mp4, .mov, .mkv or .avi "
                            f"file, or a {'/'.join(IMAGE_SUFFIXES)} image for the last frame")
        self._fourcc = _FOURCC[suffix]
        self._writer: cv2.VideoWriter | None = None
        self._size = (0, 0)
        self.frames = 0

    def open(self, width: int, height: int, fps: float) -> None:
        if self.path.parent and not self.path.parent.exists():
            raise SinkError(f"cannot record to '{self.path}': folder {self.path.parent} does "
                            "not exist")
        writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter.fourcc(*self._fourcc), fps,
                                 (width, height))
        if not writer.isOpened():
            raise SinkError(f"cannot record to '{self.path}': OpenCV could not open a "
                            f"{self._fourcc} writer there (is the folder writable?)")
        self._writer = writer
        self._size = (width, height)

    def write(self, frame: OutputFrame) -> None:
        if self._writer is None:
            raise SinkError(f"recording {self.path} was not opened")
        self._writer.write(_fit(frame.image, *self._size))
        self.frames += 1

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None


class ImageFileSink:
    """Keeps the newest frame and writes it on `close`: filtering a still photo."""

    queue = 1

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = f"file:{self.path}"
        self.stop_requested = False
        self._last: FrameBGR | None = None

    def open(self, width: int, height: int, fps: float) -> None:
        if not self.path.parent.exists():
            raise SinkError(f"cannot write '{self.path}': folder {self.path.parent} does not "
                            "exist")

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
