"""What goes out while the streamer hides their camera: a "be right back" card or the last
frame, frozen."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal, get_args

import cv2
import numpy as np

from livecam.frame import FrameBGR

Privacy = Literal["card", "freeze"]
PRIVACY_MODES: tuple[str, ...] = get_args(Privacy)


@lru_cache(maxsize=4)
def privacy_card(width: int, height: int, text: str = "Be right back") -> FrameBGR:
    """A calm branded card: a dusk gradient, the message and the livecam mark (cached per
    size; callers must not modify it)."""
    rows = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    top, bottom = np.array([92, 52, 48], np.float32), np.array([60, 30, 120], np.float32)
    card = np.ascontiguousarray(np.broadcast_to(top + (bottom - top) * rows,
                                                (height, width, 3)).astype(np.uint8))
    scale = width / 640
    font = cv2.FONT_HERSHEY_DUPLEX
    (tw, th), _ = cv2.getTextSize(text, font, 1.6 * scale, max(1, int(2 * scale)))
    cv2.putText(card, text, ((width - tw) // 2, (height + th) // 2), font, 1.6 * scale,
                (245, 240, 250), max(1, int(2 * scale)), cv2.LINE_AA)
    mark = "livecam"
    (mw, _), _ = cv2.getTextSize(mark, font, 0.6 * scale, 1)
    cv2.putText(card, mark, ((width - mw) // 2, int(height * 0.9)), font, 0.6 * scale,
                (200, 190, 230), 1, cv2.LINE_AA)
    card.setflags(write=False)
    return card
