"""Turns a `--sink` value into a sink."""

from __future__ import annotations

from pathlib import Path

from livecam.errors import SinkError
from livecam.sinks.file import ImageFileSink
from livecam.sinks.null import NullSink
from livecam.sinks.protocol import Sink
from livecam.sinks.recording import Recording
from livecam.sinks.virtualcam import VirtualCamSink
from livecam.sinks.window import WindowSink
from livecam.sources.image import IMAGE_SUFFIXES

SINK_FORMS = "virtualcam[:BACKEND[:DEVICE]], window, file:PATH, null"


def open_sink(text: str, audio: bool = False, overwrite: bool = False) -> Sink:
    """Build the sink `text` names (it is opened later, once the frame size is known); a
    video file records the microphone too when `audio`; an existing file is replaced only
    with `overwrite`."""
    kind, _, rest = text.partition(":")
    if kind == "null" and not rest:
        return NullSink()
    if kind == "window" and not rest:
        return WindowSink()
    if kind == "virtualcam":
        backend, _, device = rest.partition(":")
        return VirtualCamSink(backend or None, device or None)
    if kind == "file" and rest:
        if Path(rest).suffix.lower() in IMAGE_SUFFIXES:
            return ImageFileSink(rest, overwrite)
        return Recording(rest, audio=audio, overwrite=overwrite)
    raise SinkError(f"unknown sink '{text}'; use one of: {SINK_FORMS}")
