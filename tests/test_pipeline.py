"""The frame loop end to end: real tracking and effects, fakes only at the device boundaries."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from livecam.app import RunConfig, run
from livecam.effects.landmarks import LandmarksEffect
from livecam.effects.passthrough import Passthrough
from livecam.errors import ModelError, SinkError, SourceError, SourceLost
from livecam.loop.pipeline import LoopSettings, Pipeline
from livecam.sinks.null import NullSink
from livecam.sinks.protocol import OutputFrame
from livecam.sinks.recording import Recording
from livecam.sinks.virtualcam import VirtualCamSink
from livecam.sources.factory import SourceSpec

DEMO_OFFLINE = SourceSpec("demo", 320, 180, realtime=False)


class ListSink(NullSink):
    def __init__(self) -> None:
        super().__init__()
        self.got: list[OutputFrame] = []

    def write(self, frame: OutputFrame) -> None:
        super().write(frame)
        self.got.append(frame)


class NoFaces:
    def track(self, frame):
        return []

    def close(self):
        pass


class ScriptedSource:
    """A camera that works, is unplugged for a while, and comes back."""

    def __init__(self, frames: int, lost_from: int, lost_reads: int) -> None:
        self.name, self.fps = "scripted", 200.0
        self.frames, self.lost_from, self.lost_reads = frames, lost_from, lost_reads
        self.reads = self.reopens = self.failed_reopens = 0
        self.lost = False

    def read(self):
        if self.lost:
            raise SourceLost("unplugged")
        self.reads += 1
        if self.reads > self.frames:
            return None
        if self.reads == self.lost_from:
            self.lost = True
            raise SourceLost("unplugged")
        time.sleep(1 / self.fps)
        return np.full((48, 64, 3), self.reads % 250, np.uint8)

    def reopen(self):
        self.reopens += 1
        if self.reopens <= self.lost_reads:
            self.failed_reopens += 1
            raise SourceError("still unplugged")
        self.lost = False

    def close(self):
        pass


def test_virtual_camera_gets_every_processed_frame_offline(fake_vcam_backend):
    result = run(RunConfig(source=DEMO_OFFLINE, preset="landmarks", max_frames=12),
                 sinks=[VirtualCamSink(backend="fake")])
    (camera,) = fake_vcam_backend.instances
    assert len(camera.sent) == 12 == result.captured and result.dropped == 0
    assert camera.closed
    assert all(r.faces == 1 for r in result.records)


def test_live_mode_drops_stale_frames_instead_of_queueing():
    class SlowEffect(Passthrough):
        def apply(self, frame, faces):
            time.sleep(0.03)
            return frame.image

    class FastSource(ScriptedSource):
        def __init__(self):
            super().__init__(frames=60, lost_from=-1, lost_reads=0)
            self.fps = 200.0

    sink = ListSink()
    pipeline = Pipeline(FastSource(), NoFaces(), SlowEffect(), [sink], LoopSettings(live=True))
    records = pipeline.run()
    assert pipeline.dropped > 20
    assert 0 < records.delivered < 40
    # every delivered frame is fresh: latency stays near one processing time, never a queue
    assert max(r.latency_ms for r in records.recent) < 100


def test_the_next_frame_is_tracked_while_the_effect_paints_this_one():
    # the frame rate is bounded by the slower of tracking and the effect, not by their sum
    tracking_next = threading.Event()

    class Tracker(NoFaces):
        def track(self, frame):
            if frame.index == 1:
                tracking_next.set()
            return []

    class WaitingEffect(Passthrough):
        overlapped: list[bool] = []

        def apply(self, frame, faces):
            if frame.index == 0:   # a sequential loop would only track frame 1 after this
                self.overlapped.append(tracking_next.wait(timeout=5.0))
            return frame.image

    class Source(ScriptedSource):
        def __init__(self):
            super().__init__(frames=4, lost_from=-1, lost_reads=0)

    sink = ListSink()
    effect = WaitingEffect()
    records = Pipeline(Source(), Tracker(), effect, [sink], LoopSettings(live=False)).run()
    assert effect.overlapped == [True]
    assert records.delivered == 4 and [f.index for f in sink.got] == [0, 1, 2, 3]


def test_lost_camera_keeps_feeding_its_last_frame_and_resumes():
    source = ScriptedSource(frames=40, lost_from=10, lost_reads=2)
    sink = ListSink()
    pipeline = Pipeline(source, NoFaces(), Passthrough(), [sink],
                        LoopSettings(live=False, retry_interval_s=0.02))
    pipeline.run()
    assert source.failed_reopens == 2 and source.reopens == 3
    assert sink.frames == pipeline.captured and pipeline.repeated > 0
    values = [int(f.image[0, 0, 0]) for f in sink.got]
    gap = values[9: 9 + pipeline.repeated]
    assert gap == [9] * pipeline.repeated  # the last good frame, sent again
    assert values[9 + pipeline.repeated:] == list(range(11, 41))  # resumed where it left off


def test_source_lost_before_the_first_frame_is_an_error():
    source = ScriptedSource(frames=10, lost_from=1, lost_reads=0)
    with pytest.raises(SourceError, match="unplugged"):
        Pipeline(source, NoFaces(), Passthrough(), [NullSink()]).run()


def test_no_virtual_camera_driver_keeps_the_recording_going(tmp_path, caplog):
    path = tmp_path / "rec.mp4"
    vcam = VirtualCamSink(backend="v4l2loopback", device="/dev/video99")
    result = run(RunConfig(source=DEMO_OFFLINE, preset="passthrough", max_frames=8),
                 sinks=[vcam, Recording(path, audio=False)])
    assert "virtualcam" in result.sink_errors
    assert "modprobe" in caplog.text or "OBS" in caplog.text
    assert path.stat().st_size > 0 and len(result.records) == 8


def test_when_every_sink_fails_the_run_says_so():
    vcam = VirtualCamSink(backend="v4l2loopback", device="/dev/video99")
    with pytest.raises(SinkError, match="no output could be opened"):
        run(RunConfig(source=DEMO_OFFLINE, preset="passthrough", max_frames=3), sinks=[vcam])


def test_a_failing_effect_passes_the_camera_image_through():
    class BrokenEffect(Passthrough):
        name = "broken"

        def apply(self, frame, faces):
            raise ModelError("model crashed")

    source = ScriptedSource(frames=5, lost_from=-1, lost_reads=0)
    sink = ListSink()
    pipeline = Pipeline(source, NoFaces(), BrokenEffect(), [sink], LoopSettings(live=False))
    pipeline.run()
    assert sink.frames == 5 and pipeline.effect_errors == 5


def test_no_face_in_view_passes_the_frame_through_unchanged():
    image = np.full((180, 320, 3), 77, np.uint8)
    from livecam.frame import Frame

    out = LandmarksEffect().apply(Frame(image, 0, 0.0), [])
    assert np.array_equal(out, image)


def test_a_sink_asking_to_stop_ends_the_run():
    class ClosingWindow(ListSink):
        def write(self, frame):
            super().write(frame)
            self.stop_requested = self.frames >= 3

    sink = ClosingWindow()
    source = ScriptedSource(frames=1000, lost_from=-1, lost_reads=0)
    Pipeline(source, NoFaces(), Passthrough(), [sink], LoopSettings(live=True)).run()
    assert 3 <= sink.frames < 20


def test_stop_from_another_thread_finishes_cleanly(tmp_path):
    source = ScriptedSource(frames=10_000, lost_from=-1, lost_reads=0)
    sink = Recording(tmp_path / "r.mp4", audio=False)
    pipeline = Pipeline(source, NoFaces(), Passthrough(), [sink], LoopSettings(live=True))
    threading.Timer(0.2, pipeline.stop).start()
    pipeline.run()
    sink.close()
    import cv2

    assert cv2.VideoCapture(str(tmp_path / "r.mp4")).read()[0]


def test_a_change_arriving_mid_frame_is_applied_at_the_next_frame_by_the_loops_thread():
    """A command submitted while a frame is being made waits for the frame boundary and
    runs on the processing thread, never beside `apply`."""
    in_apply = threading.Event()
    release = threading.Event()
    seen: list[tuple[int, bool]] = []

    class HeldEffect(Passthrough):
        def apply(self, frame, faces):
            seen.append((frame.index, in_apply.is_set()))
            if frame.index == 3:
                in_apply.set()
                release.wait(5)
            return frame.image

    source = ScriptedSource(frames=8, lost_from=-1, lost_reads=0)
    pipeline = Pipeline(source, NoFaces(), HeldEffect(), [ListSink()], LoopSettings(live=False))
    runner = threading.Thread(target=pipeline.run)
    runner.start()
    assert in_apply.wait(5)
    applied: dict[str, object] = {}

    def change():
        applied["thread"] = threading.current_thread().name
        applied["frames_seen"] = len(seen)
        pipeline.effect_on = False
        return "off"

    done = pipeline.submit(change)
    time.sleep(0.05)
    assert not done.done()             # frame 3 is still being made: nothing changed yet
    release.set()
    assert done.result(5) == "off"
    runner.join(5)
    assert applied["thread"] == "livecam-process"
    assert applied["frames_seen"] == 4  # after frame 3 finished, before frame 4 began
    assert [i for i, _ in seen] == [0, 1, 2, 3]   # the effect was off from frame 4 on


def test_a_change_before_the_loop_runs_is_applied_at_once():
    pipeline = Pipeline(ScriptedSource(frames=1, lost_from=-1, lost_reads=0), NoFaces(),
                        Passthrough(), [NullSink()])
    assert pipeline.submit(lambda: 42).result(0) == 42
    failed = pipeline.submit(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        failed.result(0)


def test_next_face_from_another_thread_never_changes_a_frame_being_made():
    """The swap reads its worn face several times per frame; hotkeys and the API cycle it
    from their own threads. Through the command queue a frame always sees one face."""
    from livecam.control.live import LiveControl

    mixed: list[int] = []

    class TwoFaces(Passthrough):
        current = 0

        def next_face(self):
            self.current = (self.current + 1) % 2
            return f"face {self.current}"

        def apply(self, frame, faces):
            first = self.current
            time.sleep(0.002)
            if self.current != first:
                mixed.append(frame.index)
            return frame.image

    source = ScriptedSource(frames=300, lost_from=-1, lost_reads=0)
    effect = TwoFaces()
    pipeline = Pipeline(source, NoFaces(), effect, [NullSink()], LoopSettings(live=False))
    control = LiveControl(pipeline, ["passthrough"], build=lambda name: (Passthrough(), None))
    runner = threading.Thread(target=pipeline.run)
    runner.start()
    outcomes = []
    while runner.is_alive() and len(outcomes) < 200:
        outcomes.append(control.next_face())
    runner.join(10)
    control.close()
    assert len(outcomes) > 20 and all(o.ok for o in outcomes)
    assert mixed == []
