"""The boundary every frame source implements."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from livecam.frame import FrameBGR


@runtime_checkable
class Source(Protocol):
    """Delivers frames at its own pace.

    `read` blocks until the next frame is due (a camera's exposure, a video's frame time) and
    returns None at the end of a finite stream. A source that loses its device raises
    `SourceLost`; the frame loop then calls `reopen` until it succeeds.
    """

    name: str
    fps: float

    def read(self) -> FrameBGR | None: ...

    def reopen(self) -> None: ...

    def close(self) -> None: ...
