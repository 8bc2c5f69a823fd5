"""Per-frame measurements, kept for on-screen stats and, when asked, for a benchmark record."""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(slots=True)
class FrameRecord:
    """What happened to one delivered frame.

    Attributes:
        index: Source frame index.
        capture_s: Monotonic time the frame was captured.
        output_s: Monotonic time the last sink finished with it.
        stages_ms: Milliseconds per stage: queue (waiting for the processor), track, effect,
            handoff (waiting for the output thread), output (all sinks).
        faces: Faces tracked.
        width: Frame width.
        height: Frame height.
        dropped_before: Frames dropped since the previous delivered frame (stale frames).
        repeated: The source was lost and this is its last frame again.
        effect_on: Whether the effect was applied.
        resolution: The effect's face crop side, when it has one.
        background_width: The effect's background pass width, when it has one.
        preset: The preset that made this frame.
        privacy: The privacy card or frozen frame went out instead of the camera.
    """

    index: int
    capture_s: float
    output_s: float = 0.0
    stages_ms: dict[str, float] = field(default_factory=dict)
    faces: int = 0
    width: int = 0
    height: int = 0
    dropped_before: int = 0
    repeated: bool = False
    effect_on: bool = True
    resolution: int | None = None
    background_width: int | None = None
    preset: str = ""
    privacy: bool = False

    @property
    def latency_ms(self) -> float:
        return (self.output_s - self.capture_s) * 1000.0

    def as_row(self) -> dict[str, Any]:
        row = asdict(self)
        row["latency_ms"] = self.latency_ms
        return row


class RecordLog:
    """Recent records for live stats; all records when `keep_all` (a benchmark run)."""

    def __init__(self, keep_all: bool = False, window: int = 120) -> None:
        self.keep_all = keep_all
        self.recent: deque[FrameRecord] = deque(maxlen=window)
        self.all: list[FrameRecord] = []
        self.delivered = 0

    def add(self, record: FrameRecord) -> None:
        self.recent.append(record)
        self.delivered += 1
        if self.keep_all:
            self.all.append(record)

    def fps(self) -> float:
        """Delivered frames per second over the recent window."""
        if len(self.recent) < 2:
            return 0.0
        span_s = self.recent[-1].output_s - self.recent[0].output_s
        return (len(self.recent) - 1) / span_s if span_s > 0 else 0.0
