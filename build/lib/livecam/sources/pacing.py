"""Real-time pacing for sources that are not clocked by hardware (files, images, demo)."""

from __future__ import annotations

from livecam.clock import Clock


class Pacer:
    """Releases frame n at start + n / fps; when far behind it resynchronises instead of bursting.

    Args:
        fps: Frames per second to deliver.
        clock: Time source, injected for tests.
        realtime: When False, never waits (offline runs and benchmarks at full speed).
    """

    def __init__(self, fps: float, clock: Clock, realtime: bool = True) -> None:
        self.fps = fps
        self._clock = clock
        self._realtime = realtime
        self._start_s: float | None = None
        self._count = 0

    def wait(self) -> None:
        """Block until the next frame is due."""
        if not self._realtime:
            return
        now_s = self._clock.now_s()
        if self._start_s is None:
            self._start_s = now_s
        due_s = self._start_s + self._count / self.fps
        if now_s - due_s > 2.0 / self.fps:
            self._start_s = now_s - self._count / self.fps
            due_s = now_s
        self._clock.sleep_s(due_s - now_s)
        self._count += 1

    def reset(self) -> None:
        self._start_s = None
        self._count = 0
