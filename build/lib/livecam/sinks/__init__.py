"""Where processed frames go: virtual camera, preview window, recordings, nowhere."""

from livecam.sinks.protocol import OutputFrame, Sink
from livecam.sinks.factory import open_sink

__all__ = ["OutputFrame", "Sink", "open_sink"]
