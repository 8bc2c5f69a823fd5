"""The microphone as blocks stamped on the frames' clock, reopened when it comes back.

PortAudio tells, in each callback, when the block's first sample reached the converter on the
stream's own clock; the difference to the stream's "now" places it on the monotonic clock the
frames are stamped with. A device that cannot open, one unplugged mid-run, a rate it does not
support: a clear message, the video goes on, and the device is tried again every second.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from livecam.audio.devices import close_stream, find_device
from livecam.audio.settings import AudioSettings
from livecam.clock import Clock, MonotonicClock
from livecam.errors import LivecamError
from livecam.sinks.protocol import AudioBlock

log = logging.getLogger("livecam.audio")
SILENT_S = 1.0    # no callback for this long on an open stream: the device is gone
REPORT_S = 60.0   # how often lost input (overruns) is reported


class Microphone:
    """Delivers `AudioBlock`s to `deliver` from PortAudio's thread until `close`."""

    def __init__(self, settings: AudioSettings, deliver: Callable[[AudioBlock], object],
                 clock: Clock | None = None) -> None:
        self.settings = settings
        self.deliver = deliver
        self.clock = clock or MonotonicClock()
        self.rate = settings.rate
        self.device_name = ""
        self.status = "closed"
        self.overflows = 0
        self.reopened = 0
        self._index = 0
        self._last_callback_s = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._keep_open, name="livecam-microphone",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5.0)

    # PortAudio's thread --------------------------------------------------------------------
    def _callback(self, indata: Any, frames: int, stamps: Any, status: Any) -> None:
        now_s = self.clock.now_s()
        self._last_callback_s = now_s
        if status and getattr(status, "input_overflow", False):
            self.overflows += 1
        ago = float(stamps.currentTime - stamps.inputBufferAdcTime)
        if not 0.0 <= ago < 1.0:   # a host API without stream times: the block just ended
            ago = frames / self.rate
        block = AudioBlock(np.array(indata, dtype=np.float32, copy=True), self.rate,
                           now_s - ago, self._index)
        self._index += 1
        self.deliver(block)

    # the microphone's own thread -----------------------------------------------------------
    def _keep_open(self) -> None:
        warned = False
        while not self._stop.is_set():
            try:
                stream = self._open()
            except LivecamError as exc:
                if not warned:
                    log.warning("microphone: %s; the video goes on, recordings get silence, "
                                "and the microphone is tried again every %.0f s", exc,
                                self.settings.reopen_s)
                    warned = True
                self.status = f"unavailable: {exc}"
                self._stop.wait(self.settings.reopen_s)
                continue
            if warned:
                log.info("microphone %s is back", self.device_name)
                self.reopened += 1
            warned = False
            self.status = f"open: {self.device_name} at {self.rate} Hz"
            self._last_callback_s = self.clock.now_s()
            reported, reported_s = self.overflows, self.clock.now_s()
            try:
                while not self._stop.wait(0.1):
                    if self.clock.now_s() - reported_s > REPORT_S:
                        if self.overflows > reported:
                            log.warning("microphone: %d blocks lost in the last minute (the "
                                        "machine is too busy); recordings carry silence there",
                                        self.overflows - reported)
                        reported, reported_s = self.overflows, self.clock.now_s()
                    if not stream.active or (self.clock.now_s() - self._last_callback_s
                                             > SILENT_S):
                        log.warning("microphone %s stopped delivering sound (unplugged?); "
                                    "reopening it", self.device_name)
                        warned = True
                        break
            finally:
                close_stream(stream)
        self.status = "closed"

    def _open(self) -> Any:
        import sounddevice as sd  # noqa: PLC0415 - PortAudio

        device = find_device(self.settings.mic, "input")
        self.device_name = device.name
        rates = [self.settings.rate] + ([device.default_rate]
                                        if device.default_rate != self.settings.rate else [])
        error: Exception | None = None
        for rate in rates:
            try:
                stream = sd.InputStream(device=device.index, samplerate=rate,
                                        blocksize=round(rate * self.settings.block_s),
                                        channels=1, dtype="float32", callback=self._callback)
                stream.start()
            except (sd.PortAudioError, ValueError) as exc:
                error = exc
                continue
            if rate != self.settings.rate:
                log.info("microphone %s runs at %d Hz, not %d; its sound is resampled",
                         device.name, rate, self.settings.rate)
            self.rate = rate
            return stream
        raise LivecamError(f"cannot open '{device.name}' ({error})")

