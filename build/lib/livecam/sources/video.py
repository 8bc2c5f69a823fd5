"""Video files, paced at the file's own frame rate unless run as fast as possible."""

from __future__ import annotations

from pathlib import Path

import cv2

from livecam.clock import Clock, MonotonicClock
from livecam.errors import SourceError
from livecam.frame import FrameBGR
from livecam.sources.pacing import Pacer

_FALLBACK_FPS = 30.0


class VideoFileSource:
    """Reads a video file through OpenCV.

    Args:
        path: The file to play.
        realtime: Deliver frames at the file's fps (live); False reads as fast as possible.
        loop: Start again at the end instead of ending the stream.
        clock: Time source for pacing.
    """

    def __init__(self, path: str | Path, realtime: bool = True, loop: bool = False,
                 clock: Clock | None = None) -> None:
        self.path = Path(path)
        self.name = f"video:{self.path.name}"
        self.loop = loop
        if not self.path.is_file():
            raise SourceError(f"video file not found: {self.path}; check the path, or use "
                              "'--source demo' to try livecam without a file")
        self._capture = self._open()
        fps = float(self._capture.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if 1.0 <= fps <= 240.0 else _FALLBACK_FPS
        self.frame_count = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self._pacer = Pacer(self.fps, clock or MonotonicClock(), realtime)
        self._delivered = 0

    def _open(self) -> cv2.VideoCapture:
        capture = cv2.VideoCapture(str(self.path))
        if not capture.isOpened():
            capture.release()
            raise SourceError(f"cannot decode video file {self.path}: OpenCV found no readable "
                              "video stream; convert it, e.g. 'ffmpeg -i IN -c:v libx264 out.mp4'")
        return capture

    def read(self) -> FrameBGR | None:
        # wait first, then decode: like a camera, the frame appears at its time, and decoding
        # does not compete with the processing of the frame before it
        self._pacer.wait()
        ok, image = self._capture.read()
        if not ok and self.loop and self._delivered > 0:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, image = self._capture.read()
        if not ok:
            if self._delivered == 0:
                raise SourceError(f"video file {self.path} has no decodable frames; is it a "
                                  "video? convert it, e.g. 'ffmpeg -i IN -c:v libx264 out.mp4'")
            return None
        self._delivered += 1
        return image

    def reopen(self) -> None:
        self._capture.release()
        self._capture = self._open()

    def close(self) -> None:
        self._capture.release()
