"""The microphone, opened only once something takes sound (a recording, the passthrough), so
its indicator does not light up for a stream that uses no sound."""

from __future__ import annotations

import threading
from collections.abc import Callable

from livecam.audio.microphone import Microphone
from livecam.audio.settings import AudioSettings
from livecam.clock import Clock
from livecam.sinks.protocol import AudioBlock


class SoundSupply:
    """Starts the microphone on first `need`, feeding `deliver`; closed with the run."""

    def __init__(self, settings: AudioSettings, deliver: Callable[[AudioBlock], object],
                 clock: Clock | None = None) -> None:
        self.settings = settings
        self._deliver = deliver
        self._clock = clock
        self._lock = threading.Lock()
        self.microphone: Microphone | None = None

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    @property
    def status(self) -> str:
        if not self.enabled:
            return "off"
        return self.microphone.status if self.microphone is not None else "not in use"

    def need(self) -> None:
        with self._lock:
            if self.enabled and self.microphone is None:
                self.microphone = Microphone(self.settings, self._deliver, self._clock)
                self.microphone.start()

    def close(self) -> None:
        with self._lock:
            if self.microphone is not None:
                self.microphone.close()
                self.microphone = None
