"""Face tracking: MediaPipe face mesh, temporal smoothing, stable ids and head pose."""

from livecam.tracking.protocol import Tracker
from livecam.tracking.settings import TrackingSettings

__all__ = ["Tracker", "TrackingSettings"]
