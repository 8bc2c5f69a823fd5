"""The boundary every effect implements."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable
from collections.abc import Sequence

from livecam.frame import Face, Frame, FrameBGR


@runtime_checkable
class Effect(Protocol):
    """Turns one frame and its tracked faces into the output frame.

    `apply` runs on the processing thread once per frame and must not block on I/O; loading
    models and warming them up belong in the constructor. It must not modify `frame.image`.
    """

    name: str

    def apply(self, frame: Frame, faces: Sequence[Face]) -> FrameBGR: ...

    def close(self) -> None: ...


@runtime_checkable
class Adjustable(Protocol):
    """An effect whose inference resolution may change between frames: the knob the
    resolution controller turns. Called on the processing thread, between `apply` calls."""

    resolution: int          # face crop side, pixels
    background_width: int    # whole-frame pass width, pixels (0: none)

    def set_resolution(self, face_side: int, background_width: int) -> None: ...


@runtime_checkable
class FaceCycling(Protocol):
    """An effect that wears enrolled faces and can move to the next one. Called on the
    processing thread, between `apply` calls (a command of the running stream)."""

    def next_face(self) -> str: ...


@runtime_checkable
class RemoteReporting(Protocol):
    """An effect whose models may run on a server: where they run now (None: no server set)."""

    @property
    def remote(self) -> str | None: ...

    def remote_summary(self) -> dict[str, Any] | None:
        """Requests sent, answered and run locally, and the round trips (benchmark records)."""
        ...


@runtime_checkable
class ModelReporting(Protocol):
    """An effect that runs one of the project's models and says which (benchmark records)."""

    @property
    def model_name(self) -> str: ...

    @property
    def provider(self) -> str: ...
