"""Where frames come from: cameras, video files, still images and the built-in demo."""

from livecam.sources.protocol import Source
from livecam.sources.factory import SourceSpec, open_source

__all__ = ["Source", "SourceSpec", "open_source"]
