"""Each sink on its own thread: a slow or failing sink costs only its own frames, a recording
keeps its frames in order, and audio blocks reach the sinks that take sound."""

from __future__ import annotations

import threading
import time

import numpy as np

from fakes import CountingSource, NoFaces

from livecam.effects.passthrough import Passthrough
from livecam.errors import SinkError
from livecam.loop.pipeline import LoopSettings, Pipeline
from livecam.sinks.null import NullSink
from livecam.sinks.protocol import AudioBlock, AudioSink, OutputFrame, Sink


class Keeping(NullSink):
    def __init__(self, name: str = "keeping", queue: int = 1, sleep_s: float = 0.0,
                 fail_at: int | None = None) -> None:
        super().__init__()
        self.name, self.queue, self.sleep_s, self.fail_at = name, queue, sleep_s, fail_at
        self.got: list[int] = []
        self.threads: set[str] = set()

    def open(self, width, height, fps):
        self.threads.add(threading.current_thread().name)

    def write(self, frame: OutputFrame) -> None:
        self.threads.add(threading.current_thread().name)
        if self.fail_at is not None and len(self.got) == self.fail_at:
            raise SinkError("disk full")
        time.sleep(self.sleep_s)
        self.got.append(frame.index)
        super().write(frame)


class Listening(Keeping):
    def __init__(self) -> None:
        super().__init__("listening")
        self.blocks: list[int] = []

    def write_audio(self, block: AudioBlock) -> None:
        self.blocks.append(block.index)


def _run(sinks: list[Sink], frames: int = 60, live: bool = True) -> Pipeline:
    pipeline = Pipeline(CountingSource(frames), NoFaces(), Passthrough(), sinks,
                        LoopSettings(live=live))
    pipeline.run()
    return pipeline


def test_a_slow_sink_does_not_hold_up_the_others():
    slow, fast = Keeping("slow", sleep_s=0.1), Keeping("fast")
    pipeline = _run([slow, fast])
    delivered = pipeline.records.delivered
    assert delivered > 40   # the output side kept the source's pace
    assert len(fast.got) >= 0.9 * delivered
    assert len(slow.got) < 0.3 * delivered
    stats = pipeline.sink_stats()
    assert stats["slow"].dropped > 0 and stats["slow"].written == len(slow.got)
    assert stats["slow"].write_ms_p95 >= 90
    # each sink has a thread of its own, and it is not the output thread
    assert slow.threads.isdisjoint(fast.threads)
    assert "livecam-output" not in slow.threads | fast.threads


def test_a_recording_keeps_its_frames_in_order_and_counts_what_it_drops():
    recording = Keeping("recording", queue=8, sleep_s=0.012)
    pipeline = _run([recording, NullSink()])
    stats = pipeline.sink_stats()["recording"]
    assert recording.got == sorted(recording.got)
    assert stats.dropped > 0
    assert stats.written + stats.dropped == pipeline.records.delivered


def test_offline_every_sink_gets_every_frame_however_slow():
    slow, fast = Keeping("slow", sleep_s=0.01), Keeping("fast")
    pipeline = _run([slow, fast], frames=20, live=False)
    assert slow.got == fast.got == list(range(20)) and pipeline.dropped == 0


def test_a_sink_failing_mid_run_leaves_the_others_going():
    broken, fine = Keeping("broken", fail_at=3), Keeping("fine")
    pipeline = _run([broken, fine], frames=30, live=False)
    assert pipeline.sink_errors == {"broken": "disk full"}
    assert fine.got == list(range(30)) and broken.got == [0, 1, 2]


def test_audio_blocks_reach_only_the_sinks_that_take_sound_in_order():
    listening, deaf = Listening(), Keeping("deaf")
    assert isinstance(listening, AudioSink) and not isinstance(deaf, AudioSink)
    pipeline = Pipeline(CountingSource(40), NoFaces(), Passthrough(), [listening, deaf],
                        LoopSettings(live=True))

    def microphone():
        while not pipeline.latest:   # the sinks open with the first frame
            time.sleep(0.001)
        for i in range(50):
            pipeline.push_audio(AudioBlock(np.zeros((160, 1), np.float32), 16000,
                                           time.monotonic(), i))

    mic = threading.Thread(target=microphone)
    mic.start()
    pipeline.run()
    mic.join()
    assert listening.blocks == list(range(50))
    assert pipeline.sink_stats()["listening"].audio_written == 50
    assert pipeline.sink_stats()["deaf"].audio_written == 0


def test_a_sink_whose_open_fails_with_any_error_is_dropped_and_offline_runs_finish():
    class Unopenable(Keeping):
        def open(self, width, height, fps):
            raise ValueError("codec options rejected")

    fine = Keeping("fine")
    pipeline = _run([Unopenable("odd"), fine], frames=20, live=False)
    assert fine.got == list(range(20))
    assert pipeline.sink_errors == {"odd": "codec options rejected"}
