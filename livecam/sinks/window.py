"""The preview window with an on-screen display; closing it or pressing q/Esc ends the run.

Its single-letter keys (e effect, n/p next/previous preset, 1-9, f face, h privacy, r record,
k key list) are the fallback where global hotkeys cannot work (Wayland).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import cv2

from livecam.errors import SinkError
from livecam.frame import FrameBGR
from livecam.control.actions import Action
from livecam.control.hotkeys import WINDOW_KEYS
from livecam.sinks.protocol import OutputFrame

_QUIT_KEYS = (ord("q"), 27)
HELP_FRAMES = 240   # the key list shows for the first eight seconds, then on 'k'


def _panel(out: FrameBGR, lines: list[str], x: int, y: int) -> None:
    width = 16 + max(cv2.getTextSize(t, cv2.FONT_HERSHEY_SIMPLEX, 0.5, 1)[0][0] for t in lines)
    cv2.rectangle(out, (x, y), (x + width, y + 8 + 20 * len(lines)), (0, 0, 0), -1)
    for i, line in enumerate(lines):
        cv2.putText(out, line, (x + 8, y + 20 + 20 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                    (255, 255, 255), 1, cv2.LINE_AA)


def draw_osd(image: FrameBGR, frame: OutputFrame, help_lines: list[str] | None = None
             ) -> FrameBGR:
    """A copy of `image` with fps, latency, preset, effect state, faces and resolution in a
    corner, and the hotkeys when `help_lines` is given."""
    out = image.copy()
    state = "PRIVACY" if frame.privacy else f"effect {'on' if frame.effect_on else 'OFF'}"
    lines = [f"{frame.fps:5.1f} fps   {frame.latency_ms:5.1f} ms",
             f"{frame.preset}  {state}",
             f"faces {frame.faces}" + (f"   {frame.resolution} px" if frame.resolution else "")]
    if frame.fault:
        lines.append(frame.fault[:70])
    if frame.remote:
        lines.append(f"models: {frame.remote}"[:70])
    if frame.audio_delay_ms is not None:
        lines.append(f"mic delayed {frame.audio_delay_ms:.0f} ms")
    _panel(out, lines, 8, 8)
    if help_lines:
        _panel(out, help_lines, 8, max(8, out.shape[0] - 16 - 20 * len(help_lines)))
    return out


class WindowSink:
    """Shows frames in an OpenCV window."""

    queue = 1

    def __init__(self, title: str = "livecam") -> None:
        self.title = title
        self.name = "window"
        self.stop_requested = False
        self.on_action: Callable[[Action], object] | None = None   # → the live control
        self.help_lines: list[str] = []
        self._open = False
        self._shown = 0
        self._help = True

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
        self._shown += 1
        if self._shown == HELP_FRAMES:
            self._help = False
        help_lines = (self.help_lines + ["keys here: " + " ".join(
            f"{k}" for k in WINDOW_KEYS if not k.isdigit()) + " 1-9 k q"]
            if self._help and self.help_lines else None)
        cv2.imshow(self.title, draw_osd(frame.image, frame, help_lines))
        key = cv2.waitKey(1) & 0xFF
        closed = cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1
        if key in _QUIT_KEYS or closed:
            self.stop_requested = True
        elif key == ord("k"):
            self._help = not self._help
        elif self.on_action is not None and chr(key) in WINDOW_KEYS:
            self.on_action(WINDOW_KEYS[chr(key)])

    def close(self) -> None:
        if self._open:
            cv2.destroyWindow(self.title)
            cv2.waitKey(1)
            self._open = False
