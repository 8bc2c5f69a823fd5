"""The preview window on a virtual X display (Xvfb), driven by real key presses (xdotool)."""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pytest

from livecam.errors import SinkError
from livecam.sinks.protocol import OutputFrame
from livecam.sinks.window import WindowSink, draw_osd

pytestmark = pytest.mark.skipif(not (shutil.which("Xvfb") and shutil.which("xdotool")),
                                reason="needs Xvfb and xdotool (apt install xvfb xdotool)")


def _frame(i: int) -> OutputFrame:
    return OutputFrame(np.full((180, 320, 3), i % 255, np.uint8), i, 0.0, fps=30.0,
                       latency_ms=9.0, preset="landmarks", faces=1)


def test_pressing_q_in_the_preview_window_asks_the_run_to_stop(display):
    sink = WindowSink(title="livecam-test")
    sink.open(320, 180, 30.0)
    for i in range(5):
        sink.write(_frame(i))
    window = subprocess.run(["xdotool", "search", "--name", "livecam-test"],
                            capture_output=True, text=True, env=os.environ).stdout.split()
    assert window, "the preview window did not appear"
    subprocess.run(["xdotool", "windowactivate", "--sync", window[0]], env=os.environ,
                   capture_output=True)
    subprocess.run(["xdotool", "key", "--window", window[0], "q"], env=os.environ, check=True)
    for i in range(50):
        sink.write(_frame(i))
        if sink.stop_requested:
            break
    sink.close()
    sink.close()
    assert sink.stop_requested


def test_window_keys_reach_the_live_control_and_the_osd_lists_the_hotkeys(display):
    sink = WindowSink(title="livecam-keys")
    pressed: list[str] = []
    sink.on_action = pressed.append
    sink.help_lines = ["ctrl+alt+e  effect on/off"]
    plain = draw_osd(_frame(0).image, _frame(0))
    with_help = draw_osd(_frame(0).image, _frame(0), sink.help_lines)
    assert np.abs(with_help.astype(int) - plain).sum() > 0   # the key list is drawn
    sink.open(320, 180, 30.0)
    for i in range(5):
        sink.write(_frame(i))
    window = subprocess.run(["xdotool", "search", "--name", "livecam-keys"],
                            capture_output=True, text=True, env=os.environ).stdout.split()
    subprocess.run(["xdotool", "windowactivate", "--sync", window[0]], env=os.environ,
                   capture_output=True)
    for key in ("e", "2", "h"):
        subprocess.run(["xdotool", "key", "--window", window[0], key], env=os.environ,
                       check=True)
        for i in range(50):
            sink.write(_frame(i))
            if len(pressed) == ("e", "2", "h").index(key) + 1:
                break
    sink.close()
    assert pressed == ["toggle_effect", "preset_2", "privacy"] and not sink.stop_requested


def test_no_display_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(SinkError, match="no display"):
        WindowSink().open(320, 180, 30.0)
