"""Each sink on its own thread, fed from its own hand-off.

A slow output (a recording's encoder, a network stream) must not hold up the virtual camera,
so the output thread only hands each frame to every sink's feed and moves on. A live output's
feed keeps the newest frame only; a recording's keeps up to its `queue` frames in order and
counts what it had to drop. Audio blocks travel beside the frames, in order and bounded, to
the sinks that take sound.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from livecam.clock import Clock
from livecam.sinks.protocol import AudioBlock, AudioSink, OutputFrame, Sink

log = logging.getLogger("livecam.loop")
AUDIO_BLOCKS_MAX = 200   # blocks waiting for one sink: a few seconds of sound at any block size
RECENT = 300             # writes kept for a sink's percentiles


@dataclass(frozen=True, slots=True)
class SinkStats:
    """How one sink kept up.

    Attributes:
        written: Frames the sink wrote.
        dropped: Frames replaced or turned away before the sink took them.
        audio_written: Audio blocks the sink wrote.
        audio_dropped: Audio blocks turned away because the sink fell behind.
        write_ms_p95: 95th percentile of one write, recent frames.
        latency_ms_p95: 95th percentile from capture to written, recent frames.
        error: Why the sink was dropped, if it was.
    """

    written: int
    dropped: int
    audio_written: int
    audio_dropped: int
    write_ms_p95: float
    latency_ms_p95: float
    error: str | None


class SinkFeed:
    """Opens, writes and closes one sink, all on the feed's own thread.

    Args:
        sink: The output.
        clock: Times the writes.
        live: Drop what the sink cannot keep up with; False makes `offer` wait (offline runs,
            where every frame must arrive).
        on_stop: Called when the sink asks the run to end (a closed preview window).
    """

    def __init__(self, sink: Sink, clock: Clock, live: bool,
                 on_stop: Callable[[], object]) -> None:
        self.sink = sink
        self.live = live
        self._clock = clock
        self._on_stop = on_stop
        self._capacity = max(1, int(sink.queue))
        self._frames: deque[OutputFrame] = deque()
        self._audio: deque[AudioBlock] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None
        self.opened = threading.Event()
        self.error: str | None = None
        self.written = self.dropped = self.audio_written = self.audio_dropped = 0
        self._write_ms: deque[float] = deque(maxlen=RECENT)
        self._latency_ms: deque[float] = deque(maxlen=RECENT)
        self.takes_audio = isinstance(sink, AudioSink)

    @property
    def name(self) -> str:
        return self.sink.name

    @property
    def alive(self) -> bool:
        """Opened, or still opening, and not failed."""
        return self.error is None

    def start(self, width: int, height: int, fps: float) -> None:
        self._thread = threading.Thread(target=self._run, args=(width, height, fps),
                                        name=f"livecam-sink-{self.sink.name}", daemon=True)
        self._thread.start()

    def offer(self, frame: OutputFrame) -> None:
        """Hand over a frame; never waits in live mode."""
        with self._cond:
            if not self.live:
                while len(self._frames) >= self._capacity and not self._closed:
                    self._cond.wait()
            if self._closed:
                return
            if len(self._frames) >= self._capacity:
                self._frames.popleft()   # the oldest goes: what is shown stays current
                self.dropped += 1
            self._frames.append(frame)
            self._cond.notify_all()

    def offer_audio(self, block: AudioBlock) -> None:
        """Hand over an audio block; one the sink is too far behind to take is counted."""
        if not self.takes_audio:
            return
        with self._cond:
            if self._closed:
                return
            if len(self._audio) >= AUDIO_BLOCKS_MAX:
                self.audio_dropped += 1
                return
            self._audio.append(block)
            self._cond.notify_all()

    def finish(self) -> None:
        """No more media: the feed writes what is waiting, closes the sink and ends."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def join(self, timeout_s: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                log.warning("%s is still writing after %.0f s; leaving it", self.sink.name,
                            timeout_s or 0.0)

    def stats(self) -> SinkStats:
        def p95(values: deque[float]) -> float:
            return float(np.percentile(list(values), 95)) if values else 0.0

        return SinkStats(self.written, self.dropped, self.audio_written, self.audio_dropped,
                         p95(self._write_ms), p95(self._latency_ms), self.error)

    def _run(self, width: int, height: int, fps: float) -> None:
        try:
            self.sink.open(width, height, fps)
        except Exception as exc:  # noqa: BLE001 - any failure to open leaves the others going
            self.error = str(exc)
            log.error("%s: %s; the other outputs keep running", self.sink.name, exc)
            self._refuse()
            return
        finally:
            self.opened.set()
        try:
            self._write_all()
        except Exception as exc:  # noqa: BLE001 - a sink's own bug must not reach the others
            self.error = str(exc)
            log.error("%s failed (%s); dropping it, the other outputs keep running",
                      self.sink.name, exc)
            self._refuse()
        finally:
            _close_quietly(self.sink)

    def _write_all(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._frames or self._audio or self._closed)
                # sound first: a block waits on no frame, and its time stamp orders it anyway
                block = self._audio.popleft() if self._audio else None
                frame = self._frames.popleft() if block is None and self._frames else None
                if block is None and frame is None:
                    return   # closed and drained
                self._cond.notify_all()
            if block is not None:
                assert isinstance(self.sink, AudioSink)
                self.sink.write_audio(block)
                self.audio_written += 1
                continue
            assert frame is not None
            start_s = self._clock.now_s()
            self.sink.write(frame)
            done_s = self._clock.now_s()
            self.written += 1
            self._write_ms.append((done_s - start_s) * 1000.0)
            self._latency_ms.append((done_s - frame.capture_s) * 1000.0)
            if self.sink.stop_requested:
                self._on_stop()

    def _refuse(self) -> None:
        """A failed sink takes nothing more, and nothing waits on it."""
        with self._cond:
            self._closed = True
            self.dropped += len(self._frames)
            self._frames.clear()
            self._audio.clear()
            self._cond.notify_all()


def _close_quietly(sink: Sink) -> None:
    try:
        sink.close()
    except Exception as exc:  # noqa: BLE001 - a sink failing to close must not stop the run
        log.debug("closing %s: %s", sink.name, exc)
