"""Turns the `--source` text into an open source."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from livecam.clock import Clock
from livecam.errors import SourceError
from livecam.sources.camera import CameraSettings, CameraSource
from livecam.sources.demo import DemoSource
from livecam.sources.image import IMAGE_SUFFIXES, ImageSource
from livecam.sources.protocol import Source
from livecam.sources.video import VideoFileSource


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """What the user asked for with --source and its companion flags.

    Attributes:
        text: A camera index ("0"), a device path ("/dev/video2"), a video or image path, or "demo".
        width: Requested frame width (cameras, demo).
        height: Requested frame height (cameras, demo).
        fps: Requested fps (cameras, demo, images); video files use their own.
        mirror: Flip cameras horizontally.
        realtime: Pace files, images and the demo in real time; False for full-speed runs.
        loop: Restart video files at the end.
    """

    text: str = "demo"
    width: int = 1280
    height: int = 720
    fps: float = 30.0
    mirror: bool = False
    realtime: bool = True
    loop: bool = False

    @property
    def kind(self) -> str:
        """One of "demo", "camera", "image", "video"."""
        text = self.text.strip()
        if text == "demo":
            return "demo"
        if text.isdigit() or text.startswith("/dev/video"):
            return "camera"
        if Path(text).suffix.lower() in IMAGE_SUFFIXES:
            return "image"
        return "video"


def open_source(spec: SourceSpec, clock: Clock | None = None) -> Source:
    """Open the source `spec` names; raises SourceError with what to do when it cannot."""
    kind = spec.kind
    if kind == "demo":
        return DemoSource(spec.width, spec.height, spec.fps, spec.realtime, clock)
    if kind == "camera":
        device: int | str = int(spec.text) if spec.text.isdigit() else spec.text
        return CameraSource(CameraSettings(device, spec.width, spec.height, spec.fps,
                                           spec.mirror))
    if kind == "image":
        return ImageSource(spec.text, spec.fps, spec.realtime, clock)
    if not Path(spec.text).exists():
        raise SourceError(f"source '{spec.text}' is not a camera index, 'demo', or an existing "
                          "file; use --source 0 for the first camera or --source demo")
    return VideoFileSource(spec.text, spec.realtime, spec.loop, clock)
