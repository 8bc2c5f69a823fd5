"""A still photo, repeated at a steady frame rate so every effect can run on it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from livecam.clock import Clock, MonotonicClock
from livecam.errors import SourceError
from livecam.frame import FrameBGR
from livecam.sources.pacing import Pacer

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")


def read_image(path: str | Path) -> FrameBGR:
    """Read a photo as BGR, with a message that says why when it cannot be read."""
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"image file not found: {path}")
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as exc:
        raise SourceError(f"cannot read image {path}: {exc.strerror or exc}") from None
    if data.size == 0:
        raise SourceError(f"image {path} is empty (0 bytes): the file is damaged or was not "
                          "fully copied")
    try:
        image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    except cv2.error:
        image = None
    if image is None:
        raise SourceError(f"cannot decode image {path}: not a JPEG/PNG/BMP/WebP/TIFF file or "
                          "the file is damaged")
    return image


class ImageSource:
    """Repeats one image; `fps` paces it in live mode."""

    def __init__(self, path: str | Path, fps: float = 30.0, realtime: bool = True,
                 clock: Clock | None = None) -> None:
        self.name = f"image:{Path(path).name}"
        self.fps = fps
        self._image = read_image(path)
        self._image.setflags(write=False)
        self._pacer = Pacer(fps, clock or MonotonicClock(), realtime)

    def read(self) -> FrameBGR | None:
        self._pacer.wait()
        return self._image

    def reopen(self) -> None:
        self._pacer.reset()

    def close(self) -> None:
        pass
