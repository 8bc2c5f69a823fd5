"""Background work (loading a preset, encoding a recording) yields the CPU to the stream."""

from __future__ import annotations

import contextlib
import os
import sys
import threading

BACKGROUND_NICE = 10


def lower_priority() -> None:
    """Lower the calling thread's priority (Linux: per-thread nice; elsewhere a no-op)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):   # not allowed here: the stream shares the CPU
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)
