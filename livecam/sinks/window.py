"""The preview window with an on-screen display; closing it or pressing q/Esc ends the run."""

from __future__ import annotations

import os
import sys

import cv2

from livecam.errors import SinkError
from livecam.frame import FrameBGR
from livecam.sinks.protocol import OutputFrame

_QUIT_KEYS = (ord("q"), 27)


def draw_osd(image: FrameBGR, frame: OutputFrame) -> FrameBGR:
    """A copy of `image` with fps, latency, preset, effect state and face count in a corner."""
    out = image.copy()
    lines = [f"{frame.fps:5.1f} fps   {frame.latency_ms:5.1f} ms",
             f"{frame.preset}  effect {'on' if frame.effect_on else 'OFF'}",
             f"faces {frame.faces}"]
    cv2.rectangle(out, (8, 8), (300, 16 + 22 * len(lines)), (0, 0, 0), -1)
    for i, line in enumerate(lines):
        cv2.putText(out, line, (16, 30 + 22 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.55,
                    (255, 255, 255), 1, cv2.LINE_AA)
    return out


class WindowSink:
    """Shows frames in an OpenCV window."""

    def __init__(self, title: str = "livecam") -> None:
        self.title = title
        self.name = "window"
        self.stop_requested = False
        self._open = False

    def open(self, width: int, height: int, fps: float) -> None:
        if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                       or os.environ.get("WAYLAND_DISPLAY")):
            raise SinkError("no display for the preview window (DISPLAY is not set); drop "
                            "'--sink window' or run under a desktop session")
        cv2.namedWindow(self.title, cv2.WINDOW_NORMAL)
        cv2.resizeWindow(self.title, width, height)
        self._open = True

    def write(self, frame: OutputFrame) -> None:
        if not self._open:
            return
        cv2.imshow(self.title, draw_osd(frame.image, frame))
        key = cv2.waitKey(1) & 0xFF
        closed = cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1
        if key in _QUIT_KEYS or closed:
            self.stop_requested = True

    def close(self) -> None:
        if self._open:
            cv2.destroyWindow(self.title)
            cv2.waitKey(1)
            self._open = False
