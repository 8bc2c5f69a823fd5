"""livecam: a real-time webcam filter for live streamers."""

__version__ = "0.1.0"
