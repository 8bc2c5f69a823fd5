"""Tracking configuration, as read from a preset's [tracking] table."""

from __future__ import annotations

from dataclasses import dataclass

from livecam.errors import PresetError


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

    max_faces: int = 4
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    smoothing: bool = True
    min_cutoff_hz: float = 0.5
    beta: float = 20.0
    small_faces: bool = True
    small_face_every_frames: int = 15

    def __post_init__(self) -> None:
        if not 1 <= self.max_faces <= 16:
            raise PresetError(f"tracking.max_faces must be 1 to 16, got {self.max_faces}")
        for name in ("min_detection_confidence", "min_tracking_confidence"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise PresetError(f"tracking.{name} must be 0 to 1, got {value}")
        if self.min_cutoff_hz <= 0 or self.beta < 0:
            raise PresetError("tracking.min_cutoff_hz must be > 0 and tracking.beta >= 0, got "
                              f"{self.min_cutoff_hz} and {self.beta}")
        if self.small_face_every_frames < 1:
            raise PresetError("tracking.small_face_every_frames must be at least 1, got "
                              f"{self.small_face_every_frames}")
