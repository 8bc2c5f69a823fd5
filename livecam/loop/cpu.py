"""How many threads OpenCV's own pool may use beside the loop's threads."""

from __future__ import annotations

import os

import cv2

LOOP_THREADS = 3   # tracking, the effect's main work and its second-core pass run at once


def share_cores_with_the_loop() -> None:
    """Size OpenCV's pool (process-wide: it has one) to the cores the loop's stages leave.

    OpenCV splits a call across its pool, but the loop's stages already keep LOOP_THREADS
    cores busy: on a small machine the split only adds hand-offs and competes with them
    (1: every call runs on its caller's thread).
    """
    cv2.setNumThreads(max(1, (os.cpu_count() or 1) - LOOP_THREADS))
