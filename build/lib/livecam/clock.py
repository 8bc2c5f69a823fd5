"""Clocks, injected so that pacing and timing can be tested without sleeping."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """A monotonic time source that can also wait."""

    def now_s(self) -> float:
        """Seconds on a monotonic scale."""
        ...

    def sleep_s(self, seconds: float) -> None:
        """Wait at least `seconds` (no-op for zero or negative)."""
        ...


class MonotonicClock:
    """The real clock."""

    def now_s(self) -> float:
        return time.perf_counter()

    def sleep_s(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class FakeClock:
    """A clock that only moves when slept on; used by tests and offline tools."""

    def __init__(self, start_s: float = 0.0) -> None:
        self._now_s = start_s
        self.slept_s: list[float] = []

    def now_s(self) -> float:
        return self._now_s

    def sleep_s(self, seconds: float) -> None:
        if seconds > 0:
            self.slept_s.append(seconds)
            self._now_s += seconds

    def advance_s(self, seconds: float) -> None:
        self._now_s += seconds
