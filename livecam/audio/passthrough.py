"""The microphone passed to an output device, delayed to match the video.

livecam delays the picture by its capture→output latency, which moves as the resolution
controller does; a stream's voice would run ahead of the lips by as much. This sink sees every
frame (and so the latency, as the outputs see it) and every microphone block, and plays the
sound captured `delay` ago at each output sample's converter time. A small change of the delay
is spread out as a slight change of playback speed (at most `SLEW` seconds per second); a large
one (the controller stepping) is made at once, crossfaded over one buffer. Neither clicks.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any

import numpy as np
import numpy.typing as npt

from livecam.audio.devices import close_stream, find_device
from livecam.audio.settings import AudioSettings
from livecam.clock import Clock, MonotonicClock
from livecam.errors import LivecamError, SinkError
from livecam.sinks.protocol import AudioBlock, OutputFrame

log = logging.getLogger("livecam.audio")
RING_S = 4.0        # seconds of sound kept for the delay line
SLEW = 0.01         # the most the delay changes per second of sound (a 1 % speed change)
JUMP_S = 0.012      # a delay this far off its target is moved at once, with a crossfade
RECENT_FRAMES = 9   # the delay's target: the median latency of the latest frames


class DelayedMicrophone:
    """An `AudioSink`: frames set the delay, blocks fill the delay line, PortAudio plays it."""

    queue = 1

    def __init__(self, settings: AudioSettings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or MonotonicClock()
        self.name = f"mic-out:{settings.mic_out}"
        self.stop_requested = False
        self._lock = threading.Lock()
        self._ring = np.zeros(1, np.float32)
        self._rate = settings.rate
        self._base_s: float | None = None
        self._end = 0               # ring position one past the newest sample
        self._target_s: float | None = None
        self._latencies: deque[float] = deque(maxlen=RECENT_FRAMES)
        self._delay_s = 0.0
        self._stream: Any = None
        self._channels = 1
        self._out_rate = settings.rate
        self._tried_s = 0.0

    @property
    def delay_ms(self) -> float:
        """The delay being applied now."""
        return self._delay_s * 1000.0

    def open(self, width: int, height: int, fps: float) -> None:
        try:
            self._start_stream()
        except LivecamError as exc:
            raise SinkError(f"microphone passthrough: {exc}") from exc

    def _start_stream(self) -> None:
        import sounddevice as sd  # noqa: PLC0415

        device = find_device(self.settings.mic_out, "output")
        self._channels = min(2, max(1, device.outputs))
        error: Exception | None = None
        for rate in dict.fromkeys([self.settings.rate, device.default_rate]):
            try:
                stream = sd.OutputStream(device=device.index, samplerate=rate,
                                         channels=self._channels, dtype="float32",
                                         blocksize=round(rate * self.settings.block_s),
                                         callback=self._play)
                stream.start()
            except (sd.PortAudioError, ValueError) as exc:
                error = exc
                continue
            self._out_rate = rate
            self._stream = stream
            self.name = f"mic-out:{device.name}"
            log.info("microphone passed to %s, delayed to match the video", device.name)
            return
        raise LivecamError(f"cannot open '{device.name}' for output ({error})")

    # frames: the latency to match ----------------------------------------------------------
    def write(self, frame: OutputFrame) -> None:
        latency = max(0.0, self.clock.now_s() - frame.capture_s)
        latency = min(latency, self.settings.max_delay_s)
        self._latencies.append(latency)
        with self._lock:
            self._target_s = float(np.median(self._latencies))
            if self._base_s is None:
                self._delay_s = self._target_s
        if self._stream is not None and not self._stream.active:
            self._reopen()

    def _reopen(self) -> None:
        now = self.clock.now_s()
        if now - self._tried_s < self.settings.reopen_s:
            return
        self._tried_s = now
        old, self._stream = self._stream, None
        close_stream(old)
        try:
            self._start_stream()
            log.info("microphone passthrough is back")
        except LivecamError as exc:
            log.debug("microphone passthrough still unavailable: %s", exc)

    # blocks: the delay line ----------------------------------------------------------------
    def write_audio(self, block: AudioBlock) -> None:
        mono = block.mono()
        with self._lock:
            if self._base_s is None or block.rate != self._rate:
                self._rate = block.rate
                self._ring = np.zeros(int(RING_S * block.rate), np.float32)
                self._base_s, self._end = block.capture_s, 0
            size = len(self._ring)
            start = round((block.capture_s - self._base_s) * self._rate)
            if start > self._end:   # lost sound: silence, not what the ring held before
                gap = np.arange(self._end, min(start, self._end + size))
                self._ring[gap % size] = 0.0
            where = np.arange(start, start + len(mono))
            self._ring[where % size] = mono
            self._end = max(self._end, start + len(mono))

    # PortAudio's thread --------------------------------------------------------------------
    def _play(self, outdata: Any, frames: int, stamps: Any, status: Any) -> None:
        ahead = float(stamps.outputBufferDacTime - stamps.currentTime)
        if not 0.0 <= ahead < 1.0:
            ahead = 0.0
        dac_s = self.clock.now_s() + ahead
        sound = self._sound_at(dac_s, frames)
        outdata[:] = np.repeat(sound[:, None], self._channels, axis=1)

    def _sound_at(self, dac_s: float, frames: int) -> npt.NDArray[np.float32]:
        with self._lock:
            if self._base_s is None or self._target_s is None:
                return np.zeros(frames, np.float32)
            base = self._base_s
            ramp = np.arange(1, frames + 1, dtype=np.float64) / frames
            span = frames / self._out_rate
            times = dac_s + np.arange(frames) / self._out_rate
            # the sound cannot be played sooner than it arrives: a video faster than the
            # microphone's own latency gets the smallest delay that has sound to play
            newest_s = base + self._end / self._rate
            target = max(self._target_s, dac_s + 2 * span - newest_s)
            if abs(target - self._delay_s) > JUMP_S:   # move at once, crossfaded
                old = self._read(times - self._delay_s, base)
                self._delay_s = target
                new = self._read(times - self._delay_s, base)
                return (old + (new - old) * ramp).astype(np.float32)
            step = float(np.clip(target - self._delay_s, -SLEW * span, SLEW * span))
            delays = self._delay_s + step * ramp
            self._delay_s += step
            return self._read(times - delays, base)

    def _read(self, times: npt.NDArray[np.float64], base: float) -> npt.NDArray[np.float32]:
        """The delay line at capture `times`, linearly interpolated; silence where it holds
        nothing (not yet arrived, or older than the ring)."""
        pos = (times - base) * self._rate
        first = np.floor(pos).astype(np.int64)
        frac = (pos - first).astype(np.float32)
        size = len(self._ring)
        held = (first >= self._end - size) & (first + 1 < self._end) & (first >= 0)
        a = self._ring[first % size]
        b = self._ring[(first + 1) % size]
        return np.where(held, a + (b - a) * frac, 0.0).astype(np.float32)

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            close_stream(stream)

