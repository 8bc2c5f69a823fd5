"""Sound through the real pipeline and the real muxer, faked only at sounddevice's boundary:
recordings keep the voice on the lips, the passthrough delays it by the video's latency, a
killed recording still plays, and a missing microphone costs nothing but the sound."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

av = pytest.importorskip("av", reason="recordings need PyAV")

from fake_sound import FakeSound, clicks, onsets  # noqa: E402
from fakes import FakeSource, NoFaces  # noqa: E402

from livecam.adapt.controller import ControllerSettings, ResolutionController  # noqa: E402
from livecam.adapt.ladder import QUALITY_BOUNDS, build_ladder  # noqa: E402
from livecam.audio.microphone import Microphone  # noqa: E402
from livecam.audio.passthrough import DelayedMicrophone  # noqa: E402
from livecam.audio.settings import AudioSettings  # noqa: E402
from livecam.effects.passthrough import Passthrough  # noqa: E402
from livecam.loop.pipeline import LoopSettings, Pipeline  # noqa: E402
from livecam.sinks.null import NullSink  # noqa: E402
from livecam.sinks.recording import Recording  # noqa: E402

FPS = 30.0


class FlashingSource(FakeSource):
    """A camera at 30 fps, black with a white frame every `every` frames; keeps when each
    flash was captured."""

    name, fps = "flashing", FPS

    def __init__(self, frames: int, every: int = 15) -> None:
        self.frames, self.every, self.reads = frames, every, 0
        self.flashes: list[float] = []
        self._next = time.monotonic()

    def read(self):
        if self.reads >= self.frames:
            return None
        self._next += 1 / FPS
        wait = self._next - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        flash = self.reads % self.every == self.every // 2
        self.reads += 1
        if flash:
            self.flashes.append(time.monotonic())
        return np.full((72, 128, 3), 255 if flash else 0, np.uint8)


class CostlyWhenLarge(Passthrough):
    """An effect whose time grows with its resolution: the controller steps it down, and the
    capture→output latency falls mid-recording."""

    def __init__(self) -> None:
        self.resolution, self.background_width = 256, 0

    def set_resolution(self, face_side: int, background_width: int) -> None:
        self.resolution = face_side

    def apply(self, frame, faces):
        time.sleep(0.05 * (self.resolution / 256) ** 2)
        return frame.image


class Showing(NullSink):
    """A virtual camera that notes when each flash went out."""

    def __init__(self) -> None:
        super().__init__()
        self.flashes_out: list[float] = []

    def write(self, frame):
        super().write(frame)
        if frame.image[0, 0, 0] > 128:
            self.flashes_out.append(time.monotonic())


def _decoded(path: Path) -> tuple[list[float], list[float]]:
    """Flash times in the file's video and click times in its sound."""
    with av.open(str(path)) as box:
        flashes = [float(f.pts * f.time_base) for f in box.decode(video=0)
                   if f.to_ndarray(format="gray").mean() > 128]
    with av.open(str(path)) as box:
        frames = list(box.decode(audio=0))
        start = float(frames[0].pts * frames[0].time_base)
        sound = np.concatenate([f.to_ndarray()[0] for f in frames])
        rate = frames[0].sample_rate
    return flashes, onsets(sound, rate, start)


def _offsets(flashes: list[float], heard: list[float]) -> list[float]:
    return [min((c - f for c in heard), key=abs) for f in flashes]


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_a_recording_keeps_every_click_on_its_flash_while_the_latency_changes(
        tmp_path, monkeypatch, suffix):
    source = FlashingSource(frames=150)
    FakeSound(lambda t: clicks(t, source.flashes)).install(monkeypatch)
    effect = CostlyWhenLarge()
    ladder = build_ladder(QUALITY_BOUNDS["balanced"])
    controller = ResolutionController(ladder, len(ladder) - 1, ControllerSettings(
        target_fps=FPS, warmup_frames=5))
    path = tmp_path / f"take{suffix}"
    recording = Recording(path)
    pipeline = Pipeline(source, NoFaces(), effect, [recording],
                        LoopSettings(live=True, keep_records=True), controller=controller)
    microphone = Microphone(AudioSettings(), pipeline.push_audio)
    microphone.start()
    records = pipeline.run()
    microphone.close()
    recording.close()

    latencies = [r.latency_ms for r in records.all[5:]]
    assert controller.changes, "the controller never moved: the test did not change latency"
    assert max(latencies) - min(latencies) > 15
    flashes, heard = _decoded(path)
    assert len(flashes) >= 8 and len(heard) >= len(flashes)
    offsets = _offsets(flashes, heard)
    assert max(abs(o) for o in offsets) <= 0.020, offsets
    assert recording.description.startswith("H.264")


def test_the_passthrough_delays_the_voice_by_the_videos_latency(monkeypatch):
    source = FlashingSource(frames=150)
    fake = FakeSound(lambda t: clicks(t, source.flashes)).install(monkeypatch)

    class Slow(Passthrough):
        def apply(self, frame, faces):
            time.sleep(0.04)   # a stylised stream's latency
            return frame.image

    camera = Showing()
    passthrough = DelayedMicrophone(AudioSettings(mic_out="cable"))
    pipeline = Pipeline(source, NoFaces(), Slow(), [camera, passthrough],
                        LoopSettings(live=True), audio_delay=lambda: passthrough.delay_ms)
    microphone = Microphone(AudioSettings(), pipeline.push_audio)
    microphone.start()
    pipeline.run()
    microphone.close()
    passthrough.close()

    played = [(dac, rate, out) for dac, rate, out in list(fake.played)]
    heard = [t for dac, rate, out in played for t in onsets(out, rate, dac, gap_s=0.0)]
    heard = [t for i, t in enumerate(heard) if i == 0 or t - heard[i - 1] > 0.1]
    offsets = _offsets(camera.flashes_out[2:], heard)   # past the delay's first settling
    # a click lost to an output underrun (a loaded machine) leaves its flash matched to a
    # neighbour's click, a flash period away: a dropout, not a voice out of sync; one may go
    period = source.every / FPS
    synced = [o for o in offsets if abs(o) < period / 2]
    assert len(offsets) >= 6 and len(synced) >= len(offsets) - 1, offsets
    assert max(abs(o) for o in synced) <= 0.020, offsets
    assert 30 < passthrough.delay_ms < 80
    assert pipeline.latest is not None and pipeline.latest.audio_delay_ms is not None


def test_no_microphone_records_the_picture_with_silence_and_retries(tmp_path, monkeypatch):
    fake = FakeSound(inputs=0).install(monkeypatch)
    source = FlashingSource(frames=45)
    path = tmp_path / "quiet.mp4"
    recording = Recording(path)
    pipeline = Pipeline(source, NoFaces(), Passthrough(), [recording], LoopSettings(live=True))
    microphone = Microphone(AudioSettings(reopen_s=0.2), pipeline.push_audio)
    microphone.start()
    pipeline.run()
    assert "unavailable" in microphone.status and "no audio input" in microphone.status
    microphone.close()
    recording.close()
    assert not fake.streams
    with av.open(str(path)) as box:
        assert sum(1 for _ in box.decode(video=0)) >= 40


def test_an_unplugged_microphone_leaves_a_silent_gap_and_comes_back(tmp_path, monkeypatch):
    fake = FakeSound(lambda t: 0.3 * np.sin(2 * np.pi * 440 * t)).install(monkeypatch)
    source = FlashingSource(frames=150)
    recording = Recording(tmp_path / "gap.mkv")
    pipeline = Pipeline(source, NoFaces(), Passthrough(), [recording], LoopSettings(live=True))
    microphone = Microphone(AudioSettings(reopen_s=0.2), pipeline.push_audio)
    microphone.start()

    def unplug():
        time.sleep(1.2)
        fake.unplugged.set()
        time.sleep(2.0)
        fake.unplugged.clear()

    threading.Thread(target=unplug, daemon=True).start()
    pipeline.run()
    microphone.close()
    recording.close()
    assert microphone.reopened >= 1
    assert 1.0 < recording.silence_s < 3.0
    with av.open(str(recording.path)) as box:
        sound = np.concatenate([f.to_ndarray()[0] for f in box.decode(audio=0)])
    rms = np.sqrt((sound[: len(sound) // 480 * 480].reshape(-1, 480) ** 2).mean(axis=1))
    quiet = rms < 0.05   # per 10 ms
    assert 1.0 < quiet.sum() / 100 < 3.0 and (~quiet).sum() / 100 > 1.5


SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
import numpy as np
from fake_sound import FakeSound
class Patch:
    def setattr(self, obj, name, value):
        setattr(obj, name, value)
FakeSound(lambda t: np.where((t % 1.0) < 0.05, 0.5, 0.0)).install(Patch())
from livecam.cli import main
main(["run", "--source", "demo", "--size", "320x180", "--preset", "passthrough", "--sink",
      "null", "--record", {path!r}, "--no-control", "--no-hotkeys"])
"""


def _probe(path: Path, stream: str) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", stream, "-show_entries",
                          "packet=pts_time", "-of", "json", str(path)],
                         capture_output=True, text=True, timeout=60, check=True)
    times = [float(p["pts_time"]) for p in json.loads(out.stdout)["packets"]
             if p.get("pts_time") not in (None, "N/A")]
    return max(times) - min(times) if times else 0.0


@pytest.mark.skipif(not any(os.access(os.path.join(d, "ffprobe"), os.X_OK)
                            for d in os.environ.get("PATH", "").split(os.pathsep)),
                    reason="needs ffprobe (apt install ffmpeg)")
def test_a_recording_killed_after_30_s_still_plays_28_s_of_video_and_sound(tmp_path):
    path = tmp_path / "killed.mp4"
    script = SCRIPT.format(tests=str(Path(__file__).parent), path=str(path))
    child = subprocess.Popen([sys.executable, "-c", script], cwd=tmp_path,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(30)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert _probe(path, "v") >= 28.0
    assert _probe(path, "a") >= 28.0


def test_a_microphone_that_only_runs_at_44_1_khz_is_resampled_in_place(tmp_path, monkeypatch):
    source = FlashingSource(frames=90)
    FakeSound(lambda t: clicks(t, source.flashes), rates=(44100,)).install(monkeypatch)
    recording = Recording(tmp_path / "cd-rate.mp4")
    pipeline = Pipeline(source, NoFaces(), Passthrough(), [recording], LoopSettings(live=True))
    microphone = Microphone(AudioSettings(), pipeline.push_audio)
    microphone.start()
    pipeline.run()
    status = microphone.status
    microphone.close()
    recording.close()
    assert microphone.rate == 44100 and "44100 Hz" in status
    flashes, heard = _decoded(recording.path)
    assert len(flashes) >= 4
    assert max(abs(o) for o in _offsets(flashes, heard)) <= 0.020
