"""Webcams through OpenCV, with the capture backend and pixel format each OS needs."""

from __future__ import annotations

import glob
import sys
from dataclasses import dataclass
from typing import Protocol
from collections.abc import Callable

import cv2

from livecam.errors import SourceError, SourceLost
from livecam.frame import FrameBGR


class Capture(Protocol):
    """The part of `cv2.VideoCapture` livecam uses; tests pass a fake."""

    def isOpened(self) -> bool: ...  # noqa: N802 - OpenCV's name
    def read(self) -> tuple[bool, FrameBGR | None]: ...
    def set(self, prop: int, value: float) -> bool: ...
    def get(self, prop: int) -> float: ...
    def release(self) -> None: ...


CaptureFactory = Callable[[int | str, int], Capture]
"""Opens a camera by index or path with an OpenCV backend id."""


@dataclass(frozen=True, slots=True)
class CameraSettings:
    """What to ask the camera for; it may deliver something else, which is then reported."""

    device: int | str = 0
    width: int = 1280
    height: int = 720
    fps: float = 30.0
    mirror: bool = False

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0 or self.fps <= 0:
            raise SourceError(f"camera size and fps must be positive, got "
                              f"{self.width}x{self.height}@{self.fps}")


def default_backend() -> int:
    """The OpenCV capture backend that opens cameras fastest and offers MJPG on this OS."""
    if sys.platform.startswith("win"):
        return cv2.CAP_DSHOW
    if sys.platform == "darwin":
        return cv2.CAP_AVFOUNDATION
    return cv2.CAP_V4L2


def list_cameras(open_capture: CaptureFactory | None = None, max_index: int = 8) -> list[str]:
    """Cameras that can be opened now: device paths on Linux, working indices elsewhere."""
    if sys.platform.startswith("linux") and open_capture is None:
        return sorted(glob.glob("/dev/video*"), key=lambda p: (len(p), p))
    factory = open_capture or _opencv_capture
    found = []
    for index in range(max_index):
        capture = factory(index, default_backend())
        if capture.isOpened():
            found.append(str(index))
        capture.release()
    return found


def _opencv_capture(device: int | str, backend: int) -> Capture:
    return cv2.VideoCapture(device, backend)


class CameraSource:
    """A webcam; `read` blocks until the camera delivers the next frame.

    Args:
        settings: Device, size, fps and mirroring.
        open_capture: Opens the device; the default is OpenCV, tests pass a fake.
        list_devices: Lists present cameras for error messages; defaults to `list_cameras`.
    """

    def __init__(self, settings: CameraSettings, open_capture: CaptureFactory | None = None,
                 list_devices: Callable[[], list[str]] | None = None) -> None:
        self.settings = settings
        self.name = f"camera:{settings.device}"
        self.fps = settings.fps
        self._open_capture = open_capture or _opencv_capture
        self._list_devices = list_devices or (lambda: list_cameras())
        self._capture: Capture | None = None
        self._capture = self._open()

    def _open(self) -> Capture:
        s = self.settings
        capture = self._open_capture(s.device, default_backend())
        if not capture.isOpened():
            capture.release()
            present = self._list_devices()
            if not _device_in(s.device, present):
                listed = ", ".join(present) if present else "none"
                raise SourceError(f"camera {s.device} not found; cameras present: {listed}. "
                                  "Pick one with --source N, or run 'livecam doctor'")
            raise SourceError(f"camera {s.device} is busy: another program (OBS, Zoom, a browser "
                              "tab) is using it; close that program or pick another camera")
        capture.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
        capture.set(cv2.CAP_PROP_FRAME_WIDTH, s.width)
        capture.set(cv2.CAP_PROP_FRAME_HEIGHT, s.height)
        capture.set(cv2.CAP_PROP_FPS, s.fps)
        capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        ok, _ = capture.read()
        if not ok:
            capture.release()
            raise SourceError(f"camera {s.device} opened but delivers no frames: it is probably "
                              "in use by another program (OBS, Zoom, a browser tab); close it "
                              "and try again")
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        if fps > 0:
            self.fps = fps
        return capture

    def read(self) -> FrameBGR | None:
        if self._capture is None:
            raise SourceLost(f"camera {self.settings.device} is closed")
        ok, image = self._capture.read()
        if not ok or image is None:
            raise SourceLost(f"camera {self.settings.device} stopped delivering frames "
                             "(unplugged or taken by another program)")
        return cv2.flip(image, 1) if self.settings.mirror else image

    def reopen(self) -> None:
        self.close()
        self._capture = self._open()

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


def _device_in(device: int | str, present: list[str]) -> bool:
    if isinstance(device, int):
        return str(device) in present or f"/dev/video{device}" in present
    return device in present
