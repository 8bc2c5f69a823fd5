"""How livecam uses sound."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from livecam.config_tables import Range, check_fields


@dataclass(frozen=True, slots=True)
class AudioSettings:
    """The microphone and where its sound goes.

    Attributes:
        mic: Input device, by name (any part of it) or index; "" the system default; "off"
            no sound at all.
        mic_out: Output device the microphone is passed to, delayed to match the video (a
            virtual audio cable); "" for none.
        rate: Sample rate asked of the devices (one that cannot is run at its own rate).
        block_s: Seconds of sound per block.
        reopen_s: How often a missing device is tried again.
        max_delay_s: The longest delay the passthrough applies.
    """

    mic: str = ""
    mic_out: str = ""
    rate: int = 48000
    block_s: Annotated[float, Range(0.002, 0.1)] = 0.01
    reopen_s: Annotated[float, Range(0.1, 60.0)] = 1.0
    max_delay_s: Annotated[float, Range(0.05, 2.0)] = 0.5

    def __post_init__(self) -> None:
        check_fields(self, "audio")

    @property
    def enabled(self) -> bool:
        return self.mic.strip().lower() != "off"
