"""The virtual camera that OBS, Zoom and Discord see, through pyvirtualcam."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import cv2

from livecam.errors import SinkError
from livecam.sinks.protocol import OutputFrame

LINUX_FIX = ("sudo apt install v4l2loopback-dkms && sudo modprobe v4l2loopback devices=1 "
             "video_nr=10 card_label=livecam exclusive_caps=1")
WINDOWS_FIX = ("install OBS Studio 26 or newer, open it once and click 'Start Virtual Camera', "
               "then 'Stop Virtual Camera' and close OBS (this registers the driver)")
MACOS_FIX = ("install OBS Studio 30 or newer, open it, click 'Start Virtual Camera' and allow "
             "the system extension in System Settings > Privacy & Security, then close OBS")


def driver_fix(platform: str | None = None) -> str:
    """The exact step that installs a virtual-camera driver on this OS."""
    platform = platform or sys.platform
    if platform.startswith("win"):
        return WINDOWS_FIX
    if platform == "darwin":
        return MACOS_FIX
    return LINUX_FIX




def driver_present(platform: str | None = None) -> bool:
    """Whether a virtual-camera driver looks installed, without opening it. Linux: a
    v4l2loopback device; Windows and macOS cannot be asked cheaply, so OBS's is assumed."""
    platform = platform or sys.platform
    if not platform.startswith("linux"):
        return True
    return any((d / "name").is_file() for d in Path("/sys/devices/virtual/video4linux").glob(
        "video*"))


def display_present(platform: str | None = None) -> bool:
    """Whether a preview window can open (Linux needs an X11 or Wayland display)."""
    platform = platform or sys.platform
    if not platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class VirtualCamSink:
    """Sends frames to a virtual camera device.

    Args:
        backend: pyvirtualcam backend name ("v4l2loopback", "obs", "unitycapture"), or None for
            the OS default; tests register a fake backend with `pyvirtualcam.register_backend`.
        device: Device to use (e.g. "/dev/video10"), or None for the first free one.
    """

    queue = 1

    def __init__(self, backend: str | None = None, device: str | None = None) -> None:
        self.backend = backend
        self.device = device
        self.name = "virtualcam"
        self.stop_requested = False
        self._camera: Any = None
        self._size = (0, 0)
        self.frames = 0

    def open(self, width: int, height: int, fps: float) -> None:
        import pyvirtualcam  # noqa: PLC0415 - imports native backends

        try:
            camera = pyvirtualcam.Camera(width, height, fps, fmt=pyvirtualcam.PixelFormat.BGR,
                                         backend=self.backend, device=self.device)
        except (RuntimeError, ValueError) as exc:
            raise SinkError(f"no virtual camera available ({exc}); to add one: "
                            f"{driver_fix()}") from exc
        self._camera = camera
        self._size = (width, height)
        self.device = camera.device
        self.name = f"virtualcam:{camera.device}"

    def write(self, frame: OutputFrame) -> None:
        if self._camera is None:
            raise SinkError("virtual camera was not opened")
        image = frame.image
        if (image.shape[1], image.shape[0]) != self._size:
            image = cv2.resize(image, self._size, interpolation=cv2.INTER_AREA)
        self._camera.send(image)
        self.frames += 1

    def close(self) -> None:
        if self._camera is not None:
            self._camera.close()
            self._camera = None
