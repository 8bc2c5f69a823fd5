"""A one-item hand-off between threads that never queues.

In live mode a new item replaces one not yet taken (the old one is counted as dropped), so a
slow consumer always gets the newest frame and latency stays bounded. In offline mode `put`
waits for the consumer instead, so every frame is processed.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class LatestSlot(Generic[T]):
    """Holds at most one item.

    Args:
        live: Replace an untaken item (drop) rather than wait for the consumer.
    """

    def __init__(self, live: bool = True) -> None:
        self.live = live
        self._item: T | None = None
        self._has_item = False
        self._closed = False
        self._cond = threading.Condition()
        self.dropped = 0

    def put(self, item: T) -> bool:
        """Offer `item`; returns False if the slot is closed and the item was not taken."""
        with self._cond:
            if not self.live:
                while self._has_item and not self._closed:
                    self._cond.wait()
            if self._closed:
                return False
            if self._has_item:
                self.dropped += 1
            self._item, self._has_item = item, True
            self._cond.notify_all()
            return True

    def get(self, timeout_s: float | None = None) -> T | None:
        """The newest item; None once the slot is closed and empty, or on timeout."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._has_item or self._closed, timeout_s):
                return None
            if not self._has_item:
                return None
            item = self._item
            self._item, self._has_item = None, False
            self._cond.notify_all()
            return item

    def close(self) -> None:
        """No more puts; a pending item can still be taken."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed
