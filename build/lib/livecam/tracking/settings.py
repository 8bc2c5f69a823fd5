"""Tracking configuration, as read from a preset's [tracking] table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from livecam.config_tables import Range, check_fields


@dataclass(frozen=True, slots=True)
class TrackingSettings:
    """How faces are found and smoothed.

    Attributes:
        max_faces: Most faces tracked at once.
        min_detection_confidence: MediaPipe's threshold for a new face.
        min_tracking_confidence: MediaPipe's threshold for keeping a tracked face.
        smoothing: Apply the One Euro filter to landmarks.
        min_cutoff_hz: One Euro cutoff for a still face; lower removes more jitter.
        beta: How fast the cutoff rises with speed (per face size per second); higher lags less.
        small_faces: Look for faces too small for the mesh's own detector with the full-range
            detector and track them on upscaled crops.
        small_face_every_frames: How often the full-range detector runs.
    """

    max_faces: Annotated[int, Range(1, 16)] = 4
    min_detection_confidence: Annotated[float, Range(0.0, 1.0)] = 0.5
    min_tracking_confidence: Annotated[float, Range(0.0, 1.0)] = 0.5
    smoothing: bool = True
    min_cutoff_hz: Annotated[float, Range(0.001, 1000.0)] = 0.5
    beta: Annotated[float, Range(0.0, 10000.0)] = 20.0
    small_faces: bool = True
    small_face_every_frames: Annotated[int, Range(1, 10000)] = 15

    def __post_init__(self) -> None:
        check_fields(self, "tracking")
