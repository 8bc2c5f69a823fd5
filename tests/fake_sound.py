"""A fake PortAudio at sounddevice's boundary: an input stream that delivers, in real time, what
a given function of time sounds like, and an output stream that plays into a list; both on the
monotonic clock, as PortAudio's own stream times would be."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np
import sounddevice

LATENCY_S = 0.005   # how long after a block's end the fake input hands it over

Sound = Callable[[np.ndarray], np.ndarray]   # sample times (monotonic s) → samples


class FakeSound:
    """Install with `install(monkeypatch)`; `sound` is what the microphone hears."""

    def __init__(self, sound: Sound | None = None, inputs: int = 1, outputs: int = 1,
                 rates: tuple[int, ...] = (48000,)) -> None:
        self.sound = sound or (lambda t: np.zeros(len(t), np.float32))
        self.inputs, self.outputs, self.rates = inputs, outputs, rates
        self.unplugged = threading.Event()
        self.streams: list[Any] = []
        self.played: list[tuple[float, int, np.ndarray]] = []   # (DAC time, rate, samples)
        fake = self

        class InputStream(_Stream):
            def __init__(self, **kw: Any) -> None:
                fake._check(kw["samplerate"], fake.inputs)
                super().__init__(fake, kw, output=False)

        class OutputStream(_Stream):
            def __init__(self, **kw: Any) -> None:
                fake._check(kw["samplerate"], fake.outputs)
                super().__init__(fake, kw, output=True)

        self.InputStream, self.OutputStream = InputStream, OutputStream

    def _check(self, rate: float, channels: int) -> None:
        if not channels or self.unplugged.is_set():
            raise sounddevice.PortAudioError("Device unavailable")
        if int(rate) not in self.rates:
            raise sounddevice.PortAudioError("Invalid sample rate")

    def devices(self) -> list[dict[str, Any]]:
        found = []
        if self.inputs:
            found.append({"name": "Fake Microphone", "max_input_channels": self.inputs,
                          "max_output_channels": 0, "default_samplerate": self.rates[0]})
        if self.outputs:
            found.append({"name": "Fake Cable", "max_input_channels": 0,
                          "max_output_channels": self.outputs,
                          "default_samplerate": self.rates[0]})
        return found

    def install(self, monkeypatch: Any) -> FakeSound:
        monkeypatch.setattr(sounddevice, "InputStream", self.InputStream)
        monkeypatch.setattr(sounddevice, "OutputStream", self.OutputStream)
        monkeypatch.setattr(sounddevice, "query_devices", lambda *a, **k: self.devices())
        monkeypatch.setattr(sounddevice, "default",
                            SimpleNamespace(device=(0, 1 if self.inputs else 0)))
        return self


class _Stream:
    def __init__(self, fake: FakeSound, kw: dict[str, Any], output: bool) -> None:
        self.fake, self.output = fake, output
        self.rate = int(kw["samplerate"])
        self.block = int(kw.get("blocksize") or 480)
        self.channels = int(kw.get("channels", 1))
        self.callback = kw["callback"]
        self.active = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        fake.streams.append(self)

    def start(self) -> None:
        self.active = True
        self._thread.start()

    def stop(self) -> None:
        self.active = False

    def close(self) -> None:
        self.active = False

    def _run(self) -> None:
        start = time.monotonic()
        k = 0
        span = self.block / self.rate
        while self.active:
            if self.fake.unplugged.is_set():   # the device is gone: no more callbacks
                time.sleep(0.01)
                continue
            begin = start + k * span
            due = begin + span + (LATENCY_S if not self.output else -span)
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            now = time.monotonic()
            if self.output:
                out = np.zeros((self.block, self.channels), np.float32)
                dac = now + span
                self.callback(out, self.block, SimpleNamespace(
                    currentTime=now, outputBufferDacTime=dac), None)
                self.fake.played.append((dac, self.rate, out[:, 0].copy()))
            else:
                times = begin + np.arange(self.block) / self.rate
                data = np.asarray(self.fake.sound(times), np.float32).reshape(-1, 1)
                self.callback(data, self.block, SimpleNamespace(
                    currentTime=now, inputBufferAdcTime=begin), None)
            k += 1


def clicks(times: np.ndarray, at: list[float], width_s: float = 0.001) -> np.ndarray:
    """Samples at `times` with a click (full scale, `width_s` long) at each instant of `at`."""
    out = np.zeros(len(times), np.float32)
    for t in list(at):
        out[(times >= t) & (times < t + width_s)] = 0.9
    return out


def onsets(signal: np.ndarray, rate: int, start_s: float = 0.0, gap_s: float = 0.1
           ) -> list[float]:
    """The times where `signal` first goes loud after at least `gap_s` of quiet."""
    loud = np.flatnonzero(np.abs(signal) > 0.4)
    found: list[float] = []
    last = -1e9
    for i in loud:
        if i - last > gap_s * rate:
            found.append(start_s + i / rate)
        last = i
    return found
